"""What every check shares: the suite's own database and Redis, Django set-up, gunicorn, result rows.

The suite never touches another database: ``ROBUST_DATABASE_URL`` (default ``cnscd_robust`` on the local
PostgreSQL) and ``ROBUST_REDIS_URL`` (default Redis database 11).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cnscd_robust"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
FORBIDDEN_DATABASES = {"cnscd", "cnscd_bench", "test_cnscd"}


@dataclass
class Row:
    """One line of the results table."""

    what: str
    target: str
    result: str
    met: bool

    def as_dict(self) -> dict:
        return asdict(self)


def tmp_dir() -> Path:
    """Where the suite writes logs, uploads and its private PostgreSQL (``ROBUST_TMP``)."""
    path = Path(os.environ.get("ROBUST_TMP") or Path(tempfile.gettempdir()) / "cnscd-robustness")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("ROBUST_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = urlsplit(url).path.lstrip("/")
    if name in FORBIDDEN_DATABASES:
        raise SystemExit(f"refusing to use database {name!r}: the robustness suite needs a database of its own")
    return url


def redis_url() -> str:
    return os.environ.get("ROBUST_REDIS_URL", DEFAULT_REDIS_URL)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def environment(**overrides: str) -> dict[str, str]:
    """The environment of the suite's Django processes (manage.py, gunicorn, celery)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "robustness.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url(),
        "DEBUG": "0",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "MEDIA_ROOT": str(tmp_dir() / "media"),
    }
    env |= overrides
    return env


def django_setup(**overrides: str) -> None:
    """Configure Django in this process for the suite's database (call before importing models)."""
    os.environ.update(environment(**overrides))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(
    *args: str, env: dict | None = None, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env or environment(),
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop a process the suite started (its whole process group), by its id."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@contextmanager
def gunicorn(env: dict | None = None, workers: int = 2, threads: int = 4, timeout: int = 30):
    """A real gunicorn serving the portal on a free loopback port; yields its base URL."""
    port = free_port()
    log = open(tmp_dir() / f"gunicorn-{port}.log", "w")
    process = subprocess.Popen(
        [
            PY, "-m", "gunicorn", "cnscd.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--timeout", str(timeout), "--graceful-timeout", "5",
        ],
        cwd=ROOT,
        env=env or environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not reachable("127.0.0.1", port, 0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start (see {log.name})")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        log.close()


def emit(rows: list[Row]) -> None:
    """A check's answer to the runner: its rows as one JSON line on stdout."""
    print("ROBUST-ROWS " + json.dumps([r.as_dict() for r in rows], ensure_ascii=False), flush=True)


def count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def recreate_database(url: str) -> None:
    """Drop (if present) and create the database of ``url``."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare() -> None:
    """The suite's database, made anew: migrated, the units of province 80 loaded, the world built."""
    recreate_database(database_url())
    manage("migrate", "--noinput")
    manage("import_admin_units", "--province", "80")
    subprocess.run([PY, "-m", "robustness.world"], cwd=ROOT, env=environment(), check=True, timeout=300)


def scratch_name(name: str) -> str:
    """The name of a scratch database: ``robust_<name>`` beside the default ``cnscd_robust``, else
    ``<main>_<name>`` (so a run on another main database — the smoke test's — never drops this run's copies)."""
    main = urlsplit(database_url()).path.lstrip("/")
    prefix = "robust" if main == urlsplit(DEFAULT_DATABASE_URL).path.lstrip("/") else main
    if not prefix.startswith("robust"):
        prefix = f"robust_{prefix}"
    return f"{prefix}_{name}"


def scratch_database(name: str) -> str:
    """A fresh copy of the suite's prepared database (``scratch_name(name)``) for a check that changes its data;
    returns its URL."""
    import psycopg

    url = database_url()
    source = urlsplit(url).path.lstrip("/")
    target = scratch_name(name)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    return with_database(url, target)


def drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if not name.startswith("robust_"):
        raise ValueError(f"not a scratch database: {name}")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
