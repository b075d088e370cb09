"""Benchmark: single ``POST /api/v1/visits/`` (req/s, p99, errors) and ``POST /api/v1/visits/bulk/`` (visits/s,
100 a request, 10 % of them replays) against gunicorn on loopback — docs/TARGETS.md: ≥ 300 req/s sustained 60 s with
p99 ≤ 300 ms and 0 errors; ≥ 5,000 visits/s.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_visits.py [--seconds 60] [--bulk-seconds 20]
        [--connections 16] [--workers 2] [--worker-class gthread] [--threads 4] [--loadgen auto|wrk|python]
        [--only single|bulk] [--quick] [--keep] [--json out.json]

gunicorn runs as in production (docker-compose.yml): 2 gthread workers × 4 threads. Besides the throughput it
prints the CPU time one request (one visit, in bulk) costs across gunicorn, PostgreSQL and the load generator, and
the ceiling that puts on the machine's cores: on a shared machine the throughput depends on the neighbours, the
CPU time much less.

* Single POST: ``wrk`` (when installed) for ``--seconds``, one thread, ``--connections`` connections, a Lua script
  that sends a fresh ``client_uuid`` with every request; req/s, p50/p99 (``wrk --latency``), non-2xx responses and
  socket errors. Without wrk, Python client processes do the same (they cost more CPU on the same cores).
* Bulk: Python client processes send 100 visits a request for ``--bulk-seconds``; after a client's first request,
  10 of every 100 items are replays of visits it sent before (same ``client_uuid``, same content), which must come
  back ``duplicate`` while the new ones come back ``created``. Afterwards the database must hold exactly one visit
  per distinct ``client_uuid`` sent: that count is printed.

It creates its own hamlets, teams, members and households (one set for each phase) in the database named by
DATABASE_URL (migrated, with the administrative units imported); afterwards it deletes the visits and households
it made (``--keep`` keeps them), so repeated runs do not grow the data set the rollup benchmark measures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import bench_environment, cpu_seconds, gunicorn, record, write_json  # noqa: E402

TARGET_RPS, TARGET_P99_MS, TARGET_BULK = 300, 300, 5000
ACTIVITIES = [{"type": "vneid_activation", "quantity": 1}, {"type": "cybersafety", "quantity": 2}]


def setup() -> dict:
    """Two hamlets with a team, a member who logs in with a token and 200 households each: one per phase."""
    bench_environment()
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
    phases = {}
    for phase in ("single", "bulk"):
        hamlet = area_services.hamlet_create(parent=commune, name=f"Ấp bench {phase} {tag}", kind="Ấp")
        team = Team.objects.create(area=hamlet, name=f"Tổ bench {phase} {tag}", established_on=date(2020, 1, 1))
        user = User.objects.create_user(username=f"bench.{phase}.{tag}", password=uuid.uuid4().hex)
        RoleAssignment.objects.create(user=user, role=Role.TEAM_MEMBER, area=hamlet)
        member = Member.objects.create(team=team, user=user, full_name="Bench", gender="other", organization="other")
        households = Household.objects.bulk_create(
            Household(area=hamlet, code=f"B-{i:04}", head_name=f"Hộ {i}") for i in range(200)
        )
        phases[phase] = {
            "token": Token.objects.create(user=user).key,
            "households": [h.pk for h in households],
            "member": member.pk,
            "team": team.pk,
            "hamlet": hamlet.pk,
            "user": user.pk,
        }
    return phases


def visit(households: list[int], n: int) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "household": households[n % len(households)],
        "date": (date.today() - timedelta(days=1)).isoformat(),
        "channel": "door_to_door",
        "activities": ACTIVITIES,
    }


def _headers(token: str) -> dict:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json", "Host": "localhost"}


# --- single POST ------------------------------------------------------------------------------------------

WRK_SCRIPT = """
local token = "%(token)s"
local households = {%(households)s}
local prefix = "%(prefix)s"
local day = "%(day)s"
local counter = 0
local threads = {}
non2xx = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"client_uuid":"%%s-%%04x-4000-8000-%%012x","household":%%d,"date":"%%s","channel":"door_to_door",' ..
    '"activities":[{"type":"vneid_activation","quantity":1},{"type":"cybersafety","quantity":2}]}',
    prefix, tid, counter, households[counter %% #households + 1], day)
  return wrk.format("POST", "/api/v1/visits/",
    {["Authorization"] = "Token " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format("WRK_RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    bad, e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def single_wrk(port: int, phase: dict, seconds: float, connections: int, echo: bool = True) -> dict:
    script = WRK_SCRIPT % {
        "token": phase["token"],
        "households": ",".join(str(h) for h in phase["households"]),
        "prefix": uuid.uuid4().hex[:8],
        "day": (date.today() - timedelta(days=1)).isoformat(),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "--latency",
             "-s", lua.name, f"http://127.0.0.1:{port}/api/v1/visits/"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(lua.name)
    [line] = [line for line in output.splitlines() if line.startswith("WRK_RESULT")]
    requests, duration_us, non2xx, connect, read, write, timeout, p50, p99, worst = map(int, line.split()[1:])
    if echo:
        print("\n".join(f"  wrk| {line}" for line in output.splitlines() if not line.startswith("WRK_RESULT")))
    return {
        "rps": requests / (duration_us / 1e6),
        "requests": requests,
        "p50": p50 / 1e6,
        "p99": p99 / 1e6,
        "max": worst / 1e6,
        "non2xx": non2xx,
        "socket_errors": connect + read + write + timeout,
    }


def _single_client(port: int, phase: dict, seconds: float, queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors, n = [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        body = json.dumps(visit(phase["households"], n))
        n += 1
        started = time.perf_counter()
        conn.request("POST", "/api/v1/visits/", body, _headers(phase["token"]))
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        errors += response.status not in (200, 201)
    queue.put((latencies, errors))


def single_python(port: int, phase: dict, seconds: float, clients: int) -> dict:
    queue = mp.Queue()
    procs = [mp.Process(target=_single_client, args=(port, phase, seconds, queue)) for _ in range(clients)]
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for lat, _e in results for x in lat)
    return {
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "p50": statistics.median(latencies) if latencies else 0,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else 0,
        "max": latencies[-1] if latencies else 0,
        "non2xx": sum(e for _l, e in results),
        "socket_errors": 0,
    }


def cpu_used(server_pid: int, run) -> tuple[dict, dict[str, float]]:
    """``run()``'s result and the CPU seconds it cost: gunicorn (master and workers), the PostgreSQL backends of
    this database and the load generator (wrk or the client processes). On a shared machine the throughput
    depends on the neighbours; the CPU time per request much less."""
    import psutil
    from django.db import connection

    def snapshot() -> dict[str, dict[int, float]]:
        server = psutil.Process(server_pid)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        web = [server_pid] + [child.pid for child in server.children(recursive=True)]
        return {"web": {p: cpu_seconds([p]) for p in web}, "db": {p: cpu_seconds([p]) for p in backends}}

    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before, client_before = snapshot(), children()
    result = run()
    after, client = snapshot(), children() - client_before
    spent = {part: sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items()) for part in after}
    return result, {**spent, "client": client}


def cpu_text(cpu: dict[str, float], n: int) -> str:
    return (
        f"gunicorn {cpu['web'] / n * 1000:.2f} + PostgreSQL {cpu['db'] / n * 1000:.2f} + load generator "
        f"{cpu['client'] / n * 1000:.2f} = {sum(cpu.values()) / n * 1000:.2f} ms"
    )


# --- bulk -------------------------------------------------------------------------------------------------


def _bulk_client(port: int, phase: dict, seconds: float, replay_share: float, seed: int, queue) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sent: list[dict] = []
    latencies, errors, unexpected, replays_ok, replays = [], 0, 0, 0, 0
    items_total, n = 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        k = round(100 * replay_share) if sent else 0
        old = rng.sample(sent, min(k, len(sent)))
        new = [visit(phase["households"], n + i) for i in range(100 - len(old))]
        n += len(new)
        batch = new + old
        rng.shuffle(batch)
        started = time.perf_counter()
        conn.request("POST", "/api/v1/visits/bulk/", json.dumps({"visits": batch}), _headers(phase["token"]))
        response = conn.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            errors += 1
            continue
        fresh = {v["client_uuid"] for v in new}
        for item, result in zip(batch, json.loads(body)["results"], strict=True):
            expected = "created" if item["client_uuid"] in fresh else "duplicate"
            if item["client_uuid"] not in fresh:
                replays += 1
                replays_ok += result["status"] == "duplicate"
            unexpected += result["status"] != expected
        items_total += len(batch)
        sent.extend(new)
    queue.put(
        {
            "latencies": latencies,
            "errors": errors,
            "unexpected": unexpected,
            "replays": replays,
            "replays_ok": replays_ok,
            "items": items_total,
            "uuids": [v["client_uuid"] for v in sent],
        }
    )


def bulk_python(port: int, phase: dict, seconds: float, clients: int, replay_share: float) -> dict:
    queue = mp.Queue()
    procs = [
        mp.Process(target=_bulk_client, args=(port, phase, seconds, replay_share, seed, queue))
        for seed in range(clients)
    ]
    started = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for r in results for x in r["latencies"])
    return {
        "visits_per_s": sum(r["items"] for r in results) / elapsed,
        "requests": len(latencies),
        "p50": statistics.median(latencies) if latencies else 0,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else 0,
        "errors": sum(r["errors"] for r in results),
        "unexpected": sum(r["unexpected"] for r in results),
        "replays": sum(r["replays"] for r in results),
        "replays_ok": sum(r["replays_ok"] for r in results),
        "items": sum(r["items"] for r in results),
        "uuids": {u for r in results for u in r["uuids"]},
    }


def stored_visits(member_id: int) -> tuple[int, int]:
    """(visits stored for the member, how many of them repeat a client_uuid)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) - count(DISTINCT client_uuid) FROM households_visit WHERE member_id = %s",
            [member_id],
        )
        return cursor.fetchone()


def cleanup(phases: dict) -> None:
    from django.db import connection, transaction

    members = [phase["member"] for phase in phases.values()]
    households = [h for phase in phases.values() for h in phase["households"]]
    teams, hamlets, users = ([phase[key] for phase in phases.values()] for key in ("team", "hamlet", "user"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM households_visitactivity WHERE visit_id IN "
            "(SELECT id FROM households_visit WHERE member_id = ANY(%s))",
            [members],
        )
        cursor.execute("DELETE FROM households_visit WHERE member_id = ANY(%s)", [members])
        cursor.execute("DELETE FROM households_household WHERE id = ANY(%s)", [households])
        cursor.execute("DELETE FROM members_member WHERE id = ANY(%s)", [members])
        cursor.execute("DELETE FROM teams_team WHERE id = ANY(%s)", [teams])
        cursor.execute("DELETE FROM accounts_roleassignment WHERE user_id = ANY(%s)", [users])
        cursor.execute("DELETE FROM authtoken_token WHERE user_id = ANY(%s)", [users])
        cursor.execute("DELETE FROM accounts_user WHERE id = ANY(%s)", [users])
        cursor.execute("DELETE FROM reports_kpivalue WHERE area_id = ANY(%s)", [hamlets])
        cursor.execute("DELETE FROM areas_area WHERE id = ANY(%s)", [hamlets])


# --- main ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60, help="single POST phase (docs/TARGETS.md: sustained 60 s)")
    parser.add_argument("--bulk-seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (single POST)")
    parser.add_argument("--clients", type=int, default=8, help="Python client processes (fallback single POST)")
    parser.add_argument("--bulk-clients", type=int, default=4, help="Python client processes (bulk)")
    # Defaults: the production command (docker-compose.yml) — one gthread worker per core, 4 threads each.
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--only", choices=["single", "bulk"], help="run one phase only")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--quick", action="store_true", help="short phases (the smoke test)")
    parser.add_argument("--keep", action="store_true", help="keep the visits and households it made")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    warm_up = 2
    if args.quick:
        args.seconds, args.bulk_seconds, warm_up = min(args.seconds, 3), min(args.bulk_seconds, 3), 1
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk"))
    phases = setup()
    try:
        single, bulk = phases["single"], phases["bulk"]
        server = ["-w", str(args.workers), "-k", args.worker_class]
        if args.threads > 1:
            server += ["--threads", str(args.threads)]
        print(f"gunicorn {' '.join(server)}", flush=True)
        s = b = None
        with gunicorn(*server) as (port, pid):
            if args.only != "bulk":
                if use_wrk:
                    single_wrk(port, single, warm_up, args.connections, echo=False)  # warm-up
                    s, cpu = cpu_used(pid, lambda: single_wrk(port, single, args.seconds, args.connections))
                    s["how"] = f"wrk, {args.connections} connections"
                else:
                    single_python(port, single, warm_up, 2)  # warm-up
                    s, cpu = cpu_used(pid, lambda: single_python(port, single, args.seconds, args.clients))
                    s["how"] = f"{args.clients} Python clients"
                s["cpu"] = sum(cpu.values()) / max(s["requests"], 1)
                s["cpu_text"] = cpu_text(cpu, max(s["requests"], 1))
                print(
                    f"single POST: {s['rps']:.0f} req/s, p50 {s['p50'] * 1000:.1f} ms, p99 {s['p99'] * 1000:.1f} ms, "
                    f"{s['non2xx']} non-2xx, {s['socket_errors']} socket errors, {s['requests']} requests in "
                    f"{args.seconds:.0f} s ({s['how']}; target ≥ {TARGET_RPS} req/s, p99 ≤ {TARGET_P99_MS} ms)",
                    flush=True,
                )
                print(
                    f"  CPU per request: {s['cpu_text']}; {os.cpu_count()} cores give at most "
                    f"{os.cpu_count() / s['cpu']:.0f} req/s (load average now {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
            if args.only != "single":
                b, cpu = cpu_used(pid, lambda: bulk_python(port, bulk, args.bulk_seconds, args.bulk_clients, 0.10))
                b["cpu"] = sum(cpu.values()) / max(b["items"], 1)
                b["cpu_text"] = cpu_text(cpu, max(b["items"], 1))
        if b is not None:
            b["stored"], b["repeated"] = stored_visits(bulk["member"])
            print(
                f"bulk (100/request, 10 % replays): {b['visits_per_s']:.0f} visits/s, p50 {b['p50'] * 1000:.0f} ms, "
                f"p99 {b['p99'] * 1000:.0f} ms, {b['errors']} errors, {b['requests']} requests "
                f"(target ≥ {TARGET_BULK:,} visits/s)",
                flush=True,
            )
            print(
                f"  replays answered 'duplicate': {b['replays_ok']:,} of {b['replays']:,}; other unexpected statuses: "
                f"{b['unexpected'] - (b['replays'] - b['replays_ok'])}; stored visits {b['stored']:,} for "
                f"{len(b['uuids']):,} distinct client_uuids sent ({b['items']:,} items): "
                f"{b['stored'] - len(b['uuids'])} extra, {b['repeated']} duplicates",
                flush=True,
            )
            print(
                f"  CPU per visit: {b['cpu_text']}; {os.cpu_count()} cores give at most "
                f"{os.cpu_count() / b['cpu']:,.0f} visits/s",
                flush=True,
            )
        print()
        if s is not None:
            errors = s["non2xx"] + s["socket_errors"]
            record(
                f"POST /visits/ single, {args.seconds:.0f} s ({s['how'].split(',')[0]})",
                f"{s['rps']:.0f} req/s, p99 {s['p99'] * 1000:.0f} ms, {errors} errors",
                f"≥ {TARGET_RPS} req/s, p99 ≤ {TARGET_P99_MS} ms, 0 errors",
                s["rps"] >= TARGET_RPS and s["p99"] * 1000 <= TARGET_P99_MS and errors == 0,
            )
            record(
                "  single POST: CPU per request, all processes",
                f"{s['cpu'] * 1000:.1f} ms → ≤ {os.cpu_count() / s['cpu']:.0f} req/s on {os.cpu_count()} cores",
                "",
                None,
            )
        if b is not None:
            sent = len(b["uuids"])
            record(
                "POST /visits/bulk/ (100 a request, 10 % replays)",
                f"{b['visits_per_s']:,.0f} visits/s, p99 {b['p99'] * 1000:.0f} ms, {b['errors']} errors",
                f"≥ {TARGET_BULK:,} visits/s",
                b["visits_per_s"] >= TARGET_BULK and b["errors"] == 0,
            )
            record(
                "  bulk: CPU per visit, all processes",
                f"{b['cpu'] * 1000:.2f} ms → ≤ {os.cpu_count() / b['cpu']:,.0f} visits/s on {os.cpu_count()} cores",
                "",
                None,
            )
            record(
                "  bulk: stored vs distinct client_uuids sent",
                f"{b['stored']:,} / {sent:,}, {b['repeated']} duplicates, "
                f"{b['replays_ok']:,}/{b['replays']:,} replays 'duplicate'",
                "0 duplicates",
                b["stored"] == sent and b["repeated"] == 0 and b["unexpected"] == 0,
            )
        write_json(args.json)
    finally:  # also when interrupted: a killed run left its hamlets, teams and thousands of visits behind
        if not args.keep:
            cleanup(phases)


if __name__ == "__main__":
    main()
