"""PostgreSQL restarted under load: the portal recovers without a restart of its own, and no request hangs.

A private PostgreSQL (the ``pgserver`` package's, in the suite's temporary folder, on a free loopback port — the
machine's own server is never touched) holds a fresh copy of the portal; gunicorn (2 workers × 4 threads,
persistent connections as in production) serves it. Eight client threads send a mix of list reads and visit
POSTs, each with a 30 s client time-out, while PostgreSQL is stopped (``pg_ctl stop -m fast``: sessions cut)
and started again 3 s later. Requests during the outage may fail; two seconds after PostgreSQL is back every
request must succeed again, and no request may reach the time-out.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections import Counter

from robustness.common import PY, ROOT, Row, emit, environment, free_port, gunicorn, manage, tmp_dir

CLIENT_TIMEOUT = 30.0
OUTAGE = 3.0  # seconds PostgreSQL stays down
GRACE = 2.0  # seconds after PostgreSQL is back by which every request must succeed again


class PrivatePostgres:
    """A PostgreSQL of the suite's own, listening on 127.0.0.1:``port`` (trust auth), data in ``pgdata``."""

    def __init__(self, pgdata, port: int):
        self.pgdata, self.port = pgdata, port
        self.user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs postgres as this user under root
        self.log = pgdata / "robust.log"  # inside the data folder: writable by the server's user

    def init(self) -> None:
        import pgserver

        if not (self.pgdata / "PG_VERSION").exists():
            server = pgserver.get_server(self.pgdata, cleanup_mode=None)  # initdb (trust auth), started on a socket
            del server
            self.ctl("-m", "fast", "stop")

    def ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        options = ["-o", f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}"] if args[-1] in ("start", "restart") else []
        pg_ctl(["-w", *options, "-l", str(self.log), *args], pgdata=self.pgdata, user=self.user, timeout=60)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def run(seconds: float) -> tuple[Row, list[str]]:
    import psycopg
    import requests

    base_dir = tmp_dir() / "pg-restart"
    base_dir.mkdir(exist_ok=True)
    server = PrivatePostgres(base_dir / "data", free_port())
    server.init()
    server.ctl("start")
    lines: list[str] = []
    try:
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS robust_pg")
            conn.execute("CREATE DATABASE robust_pg")
        url = server.url("robust_pg")
        env = environment(DATABASE_URL=url, ROBUST_DATABASE_URL=url)
        manage("migrate", "--noinput", env=env)
        manage("import_admin_units", "--province", "80", env=env)
        import subprocess

        subprocess.run([PY, "-m", "robustness.world"], cwd=ROOT, env=env, check=True, timeout=300,
                       capture_output=True)  # fmt: skip
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from robustness import world as world_module

        world = world_module.build()
        corner = world.corners["A1"]
        token = world_module.token(corner.member_user)
        from django.db import connection

        connection.close()  # the restart would break this process's connection too; it needs no other
        results: list[tuple[float, float, object]] = []  # (start, seconds, status or error name)
        lock = threading.Lock()
        stop_at = [0.0]

        with gunicorn(env) as base:

            def client(number: int) -> None:
                session = requests.Session()
                session.headers["Authorization"] = f"Token {token}"
                i = 0
                while time.monotonic() < stop_at[0]:
                    i += 1
                    started = time.monotonic()
                    try:
                        if (number + i) % 2:
                            response = session.get(f"{base}/api/v1/households/", timeout=CLIENT_TIMEOUT)
                        else:
                            visit = {"client_uuid": str(uuid.uuid4()), "household": corner.household,
                                     "date": "2026-10-10", "channel": "door_to_door",
                                     "activities": [{"type": "dvctt_account", "quantity": 1}]}  # fmt: skip
                            response = session.post(f"{base}/api/v1/visits/", json=visit, timeout=CLIENT_TIMEOUT)
                        status: object = response.status_code
                    except requests.Timeout:
                        status = "timeout"
                    except requests.RequestException as error:
                        status = type(error).__name__
                    with lock:
                        results.append((started, time.monotonic() - started, status))
                    time.sleep(0.01)

            begin = time.monotonic()
            stop_at[0] = begin + seconds
            threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            time.sleep(seconds / 3)
            down_at = time.monotonic()
            server.ctl("-m", "fast", "stop")
            time.sleep(OUTAGE)
            server.ctl("start")
            back_at = time.monotonic()
            for thread in threads:
                thread.join(CLIENT_TIMEOUT + 10)
            hung_threads = sum(t.is_alive() for t in threads)
    finally:
        server.ctl("-m", "fast", "stop")
    before = [r for r in results if r[0] + r[1] < down_at]
    during = [r for r in results if not (r[0] + r[1] < down_at) and r[0] < back_at + GRACE]
    after = [r for r in results if r[0] >= back_at + GRACE]
    ok_status = (200, 201)
    failed_after = [r for r in after if r[2] not in ok_status]
    timeouts = [r for r in results if r[2] == "timeout"] + [None] * hung_threads
    worst = max((r[1] for r in results), default=0.0)
    for name, part in (("before", before), ("during", during), ("after", after)):
        lines.append(f"{name:6}: {len(part):5} requests {dict(Counter(str(r[2]) for r in part))}")
    lines.append(f"PostgreSQL down and back in {back_at - down_at:.1f} s; slowest request {worst:.2f} s; "
                 f"client time-outs {len(timeouts)}")  # fmt: skip
    ok = bool(before) and bool(after) and not failed_after and not timeouts
    row = Row(
        "PostgreSQL restarted under load (private server, gunicorn)",
        "the app recovers without a restart; no request hangs forever",
        f"{len(results):,} requests from 8 clients, PostgreSQL restarted in {back_at - down_at:.1f} s: "
        f"{sum(r[2] not in ok_status for r in during)} failed during the restart, "
        f"{len(failed_after)} of {len(after)} failed after it; slowest {worst:.1f} s, {len(timeouts)} time-outs (30 s)",
        ok,
    )
    return row, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="12 s of load instead of 30 s")
    args = parser.parse_args()
    row, lines = run(12 if args.quick else 30)
    print("\n".join(lines), file=sys.stderr)
    emit([row])


if __name__ == "__main__":
    main()
