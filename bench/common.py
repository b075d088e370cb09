"""What the benchmark scripts share: the result rows (``record``), their JSON file and a gunicorn on loopback.

A row is ``{"what", "measured", "target", "met"}`` (``met`` is None for an informative row); ``bench/run.py``
collects the rows of every script (``--json``) into one table.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS: list[dict] = []


def record(what: str, measured: str, target: str, met: bool | None) -> None:
    ROWS.append({"what": what, "measured": measured, "target": target, "met": met})
    flag = "" if met is None else ("met" if met else "NOT MET")
    print(f"{what:<58} {measured:<34} {target:<26} {flag}", flush=True)


def write_json(path: str | None) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(ROWS, out, ensure_ascii=False, indent=1)


def bench_environment() -> None:
    """Production-like settings for a benchmark process (and the gunicorn it starts): DEBUG off, no SSL redirect."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnscd.settings")
    os.environ.update(DEBUG="0", ALLOWED_HOSTS="localhost,127.0.0.1,testserver", SECURE_SSL_REDIRECT="0")
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = "bench-only-" + os.urandom(16).hex()
    os.environ.setdefault("PERSONAL_DATA_HASH_KEY", "bench-only-personal-data-hash-key")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*args: str):
    """A gunicorn serving the portal on a free loopback port (extra command-line ``args``); yields (port, pid)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cnscd.wsgi", "-b", f"127.0.0.1:{port}", "--log-level", "warning", *args],
        cwd=ROOT,
        env=dict(os.environ),
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with code {server.returncode}") from None
                time.sleep(0.1)
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cpu_seconds(pids) -> float:
    """User + system CPU time used so far by the processes ``pids`` (gone ones count as 0)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total
