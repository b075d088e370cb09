"""``make robustness``: the robustness table of docs/TARGETS.md, measured on a database of the suite's own.

Every check runs in its own process (each configures Django for its own copy of the database, its own Redis
situation or its own PostgreSQL server) and answers with rows: what, target, result, met. The table is printed
and written to ``robustness/RESULTS.md``; each check's full output goes to the suite's temporary folder.

    python robustness/run.py [--quick] [--only fuzz,access,...]

Databases: ``ROBUST_DATABASE_URL`` (default ``cnscd_robust`` on 127.0.0.1:5432), rebuilt at every run, and
scratch copies named ``robust_<check>``; Redis: ``ROBUST_REDIS_URL`` (default database 11). Exit status: 0 when
every target is met, 1 when one is not, 2 when a check could not run.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from robustness.common import PY, ROOT, Row, database_url, environment, prepare, reachable, redis_url, tmp_dir  # noqa: E402

# (module, rows it answers for, time limit in seconds)
CHECKS = [
    ("fuzz", ["API fuzzing"], 1800),
    ("access", ["access matrix"], 600),
    ("files", ["bad files", "exports"], 600),
    ("sync", ["offline sync"], 600),
    ("redis_down", ["Redis down"], 600),
    ("celery_kill", ["Celery worker killed"], 900),
    ("pg_restart", ["PostgreSQL restarted"], 600),
    ("security", ["check --deploy", "login brute force"], 300),
    ("admin", ["Django admin: every admin URL per staff persona", "Django admin: two personas at once"], 600),
    ("oracles", ["oracle probes", "error-body leaks"], 300),
    ("privacy", ["consent withdrawal → audit tables", "consent withdrawal → MEDIA_ROOT", "files left on disk"], 300),
]
RESULTS = ROOT / "robustness" / "RESULTS.md"


def run_check(module: str, names: list[str], limit: int, quick: bool) -> tuple[list[Row], float]:
    log = tmp_dir() / f"{module}.log"
    started = time.monotonic()
    command = [PY, "-m", f"robustness.{module}"] + (["--quick"] if quick else [])
    try:
        result = subprocess.run(command, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=limit)
        output, code = result.stdout + result.stderr, result.returncode
    except subprocess.TimeoutExpired as error:
        output, code = f"{error.stdout or ''}{error.stderr or ''}\nTIMED OUT after {limit} s", -1
    seconds = time.monotonic() - started
    log.write_text(output if isinstance(output, str) else output.decode(errors="replace"))
    for line in output.splitlines():
        if line.startswith("ROBUST-ROWS "):
            return [Row(**row) for row in json.loads(line[len("ROBUST-ROWS ") :])], seconds
    tail = " / ".join(output.strip().splitlines()[-2:])[-300:]
    return [Row(name, "—", f"could not run (exit {code}): {tail} — see {log}", False) for name in names], seconds


def table(rows: list[Row]) -> str:
    lines = ["| what | target | result | met |", "|---|---|---|---|"]
    for row in rows:
        cells = [row.what, row.target, row.result, "met" if row.met else "**not met**"]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke: few examples, short loads")
    parser.add_argument("--only", default="", help="comma-separated checks: " + ",".join(c[0] for c in CHECKS))
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - {c[0] for c in CHECKS}
    if unknown:
        parser.error(f"unknown checks: {', '.join(sorted(unknown))}")
    if not reachable("127.0.0.1", 5432) and "127.0.0.1:5432" in database_url():
        print("PostgreSQL is not reachable on 127.0.0.1:5432 (set ROBUST_DATABASE_URL)", file=sys.stderr)
        return 2
    started = time.monotonic()
    print(f"database {database_url()}, Redis {redis_url()}, logs in {tmp_dir()}", flush=True)
    prepare()
    print(f"prepared in {time.monotonic() - started:.0f} s", flush=True)
    rows: list[Row] = []
    for module, names, limit in CHECKS:
        if only and module not in only:
            continue
        print(f"… {module}", flush=True)
        check_rows, seconds = run_check(module, names, limit, args.quick)
        for row in check_rows:
            print(f"  {'met    ' if row.met else 'NOT MET'} {row.what}: {row.result} ({seconds:.0f} s)", flush=True)
        rows.extend(check_rows)
    total = time.monotonic() - started
    met = sum(row.met for row in rows)
    mode = "quick (smoke) run" if args.quick else "full run"
    heading = (
        f"# Robustness (docs/TARGETS.md)\n\n"
        f"`make robustness` ({mode}), {date.today().isoformat()}, {platform.node() or 'this machine'} "
        f"({platform.machine()}, Python {platform.python_version()}): {met} of {len(rows)} met, {total:.0f} s.\n"
        f"Written by `robustness/run.py`; each check's output is in its log (`{tmp_dir()}/<check>.log`).\n\n"
    )
    text = table(rows)
    print("\n" + text)
    if not only:
        RESULTS.write_text(heading + text + "\n")
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    if any("could not run" in row.result for row in rows):
        return 2
    return 0 if met == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
