"""The robustness suite (``make robustness``) in its quick form, so that it cannot rot.

The fast checks run for real (fuzzing one example per operation, the access matrix, bad files and exports,
offline sync over gunicorn, check --deploy and brute force: about 45 s, in the suite's own databases); the three
that need minutes of servers (Redis down, Celery worker killed, PostgreSQL restarted) are only imported here —
``make robustness`` runs them. Whether every target is met is the suite's own verdict, not this test's: it
checks that each check ran and answered its row.
"""

import os
import socket
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAST = "fuzz,access,files,sync,security,oracles,admin,privacy"
SLOW = ("redis_down", "celery_kill", "pg_restart")
POSTGRES = "postgres://postgres@127.0.0.1:5432"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def test_every_check_of_the_suite_imports_and_says_what_it_does():
    for name in ("run", "common", "world", "fuzz", "access", "files", "sync", "security", "oracles", "admin", *SLOW):
        module = import_module(f"robustness.{name}")
        assert module.__doc__, name
    for name in SLOW:
        assert callable(import_module(f"robustness.{name}").run)


def test_the_quick_suite_runs_and_answers_every_row_of_its_checks(tmp_path):
    if not _reachable("127.0.0.1", 5432) and not os.environ.get("ROBUST_SMOKE_DATABASE_URL"):
        pytest.skip("the robustness suite needs PostgreSQL on 127.0.0.1:5432 (or ROBUST_SMOKE_DATABASE_URL)")
    if not _reachable("127.0.0.1", 6379) and not os.environ.get("ROBUST_REDIS_URL"):
        pytest.skip("the robustness suite needs Redis on 127.0.0.1:6379 (or ROBUST_REDIS_URL)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    # databases of its own (robust_smoke, robust_smoke_<check>), so that it never drops a full run's
    env["ROBUST_DATABASE_URL"] = os.environ.get("ROBUST_SMOKE_DATABASE_URL", f"{POSTGRES}/robust_smoke")
    env["ROBUST_TMP"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "robustness/run.py", "--quick", "--only", FAST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    table = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    whats = " ".join(line.split(" | ")[0] for line in table)
    rows = ("API fuzzing", "access matrix", "bad files", "exports", "offline sync", "check --deploy", "brute")
    for row in (*rows, "oracle probes", "error-body leaks", "Django admin: every admin URL", "Django admin: two"):
        assert row in whats, result.stdout[-3000:]
    assert "could not run" not in result.stdout
