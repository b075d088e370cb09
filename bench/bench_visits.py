"""Benchmark: single ``POST /api/v1/visits/`` (req/s, p50/p99) and ``POST /api/v1/visits/bulk/`` (visits/s,
100 a request) against gunicorn on loopback. Bounded in time (``--seconds`` per phase). Prints medians.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_visits.py [--seconds 20] [--workers 4] [--clients 8]

It creates its own hamlet, team, member and households in the database named by DATABASE_URL (migrated, with
the administrative units imported) and leaves them there.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def setup() -> tuple[str, list[int]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnscd.settings")
    os.environ.update(DEBUG="0", ALLOWED_HOSTS="localhost,127.0.0.1", SECURE_SSL_REDIRECT="0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + uuid.uuid4().hex)
    import django

    django.setup()
    from rest_framework.authtoken.models import Token

    from accounts.models import Role, RoleAssignment, User
    from areas import services as area_services
    from areas.models import Area, Level
    from households.models import Household
    from members.models import Member
    from teams.models import Team

    commune = Area.objects.filter(level=Level.COMMUNE).current().order_by("code").first()
    if commune is None:
        sys.exit("No communes: run `manage.py import_admin_units` first.")
    tag = uuid.uuid4().hex[:6]
    hamlet = area_services.hamlet_create(parent=commune, name=f"Ấp bench {tag}", kind="Ấp")
    team = Team.objects.create(area=hamlet, name=f"Tổ bench {tag}", established_on=date(2020, 1, 1))
    user = User.objects.create_user(username=f"bench.{tag}", password=uuid.uuid4().hex)
    RoleAssignment.objects.create(user=user, role=Role.TEAM_MEMBER, area=hamlet)
    Member.objects.create(team=team, user=user, full_name="Bench", gender="other", organization="other")
    households = Household.objects.bulk_create(
        Household(area=hamlet, code=f"B-{i:04}", head_name=f"Hộ {i}") for i in range(200)
    )
    return Token.objects.create(user=user).key, [h.pk for h in households]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def visit(households: list[int], n: int) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "household": households[n % len(households)],
        "date": (date.today() - timedelta(days=1)).isoformat(),
        "channel": "door_to_door",
        "activities": [{"type": "vneid_activation", "quantity": 1}, {"type": "cybersafety", "quantity": 2}],
    }


def client(port: int, token: str, households: list[int], path: str, batch: int, seconds: float, queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", "Host": "localhost"}
    latencies, errors, n = [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        body = visit(households, n) if batch == 1 else {"visits": [visit(households, n + i) for i in range(batch)]}
        n += batch
        started = time.perf_counter()
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status not in (200, 201):
            errors += 1
    queue.put((latencies, errors))


def run(port: int, token: str, households: list[int], path: str, batch: int, seconds: float, clients: int):
    queue = mp.Queue()
    procs = [
        mp.Process(target=client, args=(port, token, households, path, batch, seconds, queue)) for _ in range(clients)
    ]
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for lat, _e in results for x in lat)
    errors = sum(e for _l, e in results)
    requests = len(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    return requests / elapsed, statistics.median(latencies) if latencies else 0, p99, errors, requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    token, households = setup()
    port = free_port()
    env = dict(os.environ)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cnscd.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        run(port, token, households, "/api/v1/visits/", 1, 2, 2)  # warm-up
        rps, p50, p99, errors, n = run(port, token, households, "/api/v1/visits/", 1, args.seconds, args.clients)
        print(
            f"single POST: {rps:.0f} req/s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, {errors} errors, "
            f"{n} requests (target ≥ 300 req/s, p99 ≤ 300 ms)"
        )
        rps, p50, p99, errors, n = run(port, token, households, "/api/v1/visits/bulk/", 100, args.seconds, args.clients)
        print(
            f"bulk (100/request): {rps * 100:.0f} visits/s, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"{errors} errors (target ≥ 5,000 visits/s)"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
