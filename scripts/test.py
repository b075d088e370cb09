"""``make test``: find PostgreSQL and Redis, then run lint, the migrations check and the whole test suite.

PostgreSQL: ``DATABASE_URL``, else the server on 127.0.0.1:5432 (user postgres, trust auth), else the embedded
one (pgserver). Redis: ``REDIS_URL``, else 127.0.0.1:6379; without one the Redis tests are skipped, and this
script says so loudly. Exits non-zero on any failure.
"""

import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    env = dict(os.environ)
    if not env.get("DATABASE_URL") and reachable("127.0.0.1", 5432):
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/cnscd"
    print(f"PostgreSQL: {env.get('DATABASE_URL') or 'embedded server in .data/ (pgserver)'}")
    if not env.get("REDIS_URL") and reachable("127.0.0.1", 6379):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    if env.get("REDIS_URL"):
        print(f"Redis: {env['REDIS_URL']}")
    else:
        print("=" * 78)
        print("Redis: NOT REACHABLE — every test marked 'redis' will be SKIPPED (see the summary below).")
        print("=" * 78)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    steps = [
        [PY, "-m", "ruff", "check", "."],
        [PY, "-m", "ruff", "format", "--check", "."],
        [PY, "manage.py", "makemigrations", "--check", "--dry-run"],
        [PY, "-m", "pytest", *sys.argv[1:]],
    ]
    for step in steps:
        print("+", " ".join(step[1:]), flush=True)
        code = subprocess.call(step, cwd=ROOT, env=env)
        if code != 0:
            print(f"FAILED: {' '.join(step[1:])} (exit {code})")
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
