"""Celery worker killed during a rollup: the next rollup gives exactly the numbers of a clean run.

On a copy of the suite's database filled by ``generate_demo --scale small`` (one district, ~30,000 visits), a twin
copy gets a clean full rollup (``manage.py rollup_kpis --full``). On the first copy a real Celery worker (Redis
database 11 as broker) starts the full rollup (``reports.tasks.rollup_full_task``); as soon as the rollup holds
its advisory lock the worker's whole process group is killed with SIGKILL. Then a new worker runs the rollup
again, and every row of the KPI tables (``reports_fact``, ``reports_kpivalue``: area, period, indicator, value)
must equal the clean run's; the killed run must have left the tables as they were.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from robustness.common import (
    PY,
    ROOT,
    Row,
    emit,
    environment,
    manage,
    redis_url,
    scratch_database,
    scratch_name,
    stop,
    tmp_dir,
    with_database,
)

TABLES = ("reports_fact", "reports_kpivalue")


def _dump(url: str) -> dict[str, set]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {
            table: set(conn.execute(f"SELECT area_id, period, indicator, value FROM {table}").fetchall())  # noqa: S608
            for table in TABLES
        }


def _lock_held(url: str) -> bool:
    import psycopg

    from reports.rollup import LOCK_KEY

    with psycopg.connect(url, autocommit=True) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
                "((classid::bigint << 32) | objid::bigint) = %s",
                [LOCK_KEY],
            ).fetchone()
        )


def _worker(env: dict, log_name: str) -> subprocess.Popen:
    log = open(tmp_dir() / log_name, "w")
    return subprocess.Popen(
        [PY, "-m", "celery", "-A", "cnscd", "worker", "--concurrency", "1", "--loglevel", "INFO", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _queue_full_rollup(env: dict) -> None:
    code = "from reports.tasks import rollup_full_task as t; t.delay()"
    subprocess.run([PY, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env, check=True, timeout=60)


def run(scale: str) -> tuple[Row, list[str]]:
    import redis

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robustness.settings")
    sys.path.insert(0, str(ROOT))
    url = scratch_database("celery")
    env = environment(DATABASE_URL=url)
    started = time.monotonic()
    manage("generate_demo", "--scale", scale, env=env, timeout=900)
    generated = time.monotonic() - started
    import psycopg

    source, twin = scratch_name("celery"), scratch_name("celery_clean")
    clean_url = with_database(url, twin)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{twin}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{twin}" TEMPLATE "{source}"')
    started = time.monotonic()
    manage("rollup_kpis", "--full", env=environment(DATABASE_URL=clean_url), timeout=900)
    clean_seconds = time.monotonic() - started
    clean = _dump(clean_url)
    before = _dump(url)

    redis.Redis.from_url(redis_url()).flushdb()  # the suite's own Redis database: no stale tasks
    import django

    os.environ.update(env)
    django.setup()
    lines = [f"generate_demo --scale {scale}: {generated:.0f} s; clean full rollup {clean_seconds:.1f} s, "
             f"{sum(len(v) for v in clean.values()):,} rows"]  # fmt: skip
    worker = _worker(env, "celery-killed.log")
    killed_after = None
    try:
        _queue_full_rollup(env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if _lock_held(url):
                time.sleep(0.2)  # well inside the run
                os.killpg(worker.pid, signal.SIGKILL)
                killed_after = time.monotonic()
                break
            time.sleep(0.02)
    finally:
        stop(worker, signal.SIGKILL)
    after_kill = _dump(url)
    unchanged = after_kill == before
    lines.append(f"worker SIGKILLed while holding the rollup lock: {'yes' if killed_after else 'NO (never saw it)'}; "
                 f"tables unchanged by the killed run: {unchanged}")  # fmt: skip
    worker = _worker(env, "celery-again.log")
    try:
        _queue_full_rollup(env)
        deadline = time.monotonic() + 300
        import psycopg as pg

        while time.monotonic() < deadline:
            with pg.connect(url) as conn:
                runs = conn.execute("SELECT count(*) FROM reports_rolluprun WHERE kind = 'full'").fetchone()[0]
            if runs >= 1:
                break
            time.sleep(0.5)
    finally:
        stop(worker)
    again = _dump(url)
    diff = {t: len(clean[t] ^ again[t]) for t in TABLES}
    rows = sum(len(v) for v in again.values())
    lines.append(f"rollup after the kill: {rows:,} rows; rows differing from the clean run: {diff}")
    ok = killed_after is not None and unchanged and not any(diff.values()) and rows > 0
    row = Row(
        "Celery worker killed (SIGKILL) during a full rollup",
        "the next rollup gives exactly the numbers of a clean run",
        f"killed mid-run ({scale} data set); killed run changed {'nothing' if unchanged else 'SOMETHING'}; "
        f"next run: {rows:,} fact and KPI rows, {sum(diff.values())} differ from a clean run",
        ok,
    )
    return row, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="(the same: the small data set takes seconds)")
    parser.parse_args()
    row, lines = run("small")
    print("\n".join(lines), file=sys.stderr)
    emit([row])


if __name__ == "__main__":
    main()
