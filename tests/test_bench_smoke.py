"""The benchmark harness (``make bench``) runs end to end, so it cannot rot.

``bench/run.py --scale small --quick`` on a database of its own (named after the test database, dropped
afterwards): every row of the table is printed and every measured cell holds a number. The figures are not
compared with the targets here — timings belong to ``make bench``, never to a test.
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    "full rollup",
    "reference GROUPING SETS statement",
    "ratio rollup / reference",
    "incremental rollup after 1,000 new visits",
    "GET /kpis/",
    "province dashboard",
    "commune hamlets page",
    "team page",
    "member's visit screen",
    "POST /visits/ single",
    "single POST: CPU per request",
    "POST /visits/bulk/",
    "bulk: CPU per visit",
    "bulk: stored vs distinct client_uuids sent",
    "roster import",
    "household import",
    "ratio django-import-export default / ours",
    "province monthly report",
]


def _server_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "postgres")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _drop(url: str, name: str) -> None:
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def bench_database(django_db_setup, django_db_blocker):
    """A database named after the test database (``test_<x>_bench``), dropped before and after."""
    name = f"{connection.settings_dict['NAME']}_bench"[:63]
    url = _server_url(connection.settings_dict, name)
    _drop(url, name)
    yield url
    _drop(url, name)


@pytest.mark.redis
def test_the_benchmark_harness_prints_every_row_with_numbers(bench_database, redis_url, tmp_path):
    results = tmp_path / "RESULTS.md"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": bench_database,
        "REDIS_URL": redis_url,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--scale", "small", "--quick", "--results", str(results)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = done.stdout.split("docs/TARGETS.md speed table", 1)[1]
    lines = [line for line in table.splitlines() if line.count("|") == 3]
    for row in ROWS:
        assert any(row in line for line in lines), f"no row {row!r} in the table:\n{table}"
    body = lines[1:]  # under the header
    assert len(body) >= len(ROWS)
    for line in body:
        what, measured, target, verdict = (cell.strip() for cell in line.split("|"))
        assert re.search(r"\d", measured), f"no number measured for {what!r}: {line}"
        assert verdict in ("met", "not met", ""), line
    markdown = results.read_text(encoding="utf-8")
    assert "generate_demo --scale small" in markdown and "PostgreSQL" in markdown
    assert markdown.count("\n| ") >= len(ROWS) + 1
