"""The embedded services used when the environment names no real ones.

This is the one place that decides what runs "embedded":

* PostgreSQL: when ``DATABASE_URL`` is unset, a private server in ``.data/pgdata`` is started with the
  ``pgserver`` package (a real PostgreSQL shipped as a wheel). It keeps running after the process exits so
  that ``runserver``'s reloader, management commands and tests share it; ``make stop`` stops it.
* Celery: when ``REDIS_URL`` is unset, tasks run in-process (``task_always_eager``) — see settings.
"""

import logging
from pathlib import Path

EMBEDDED_PGDATA = Path(__file__).resolve().parent.parent / ".data" / "pgdata"
EMBEDDED_DB_NAME = "cnscd"


def embedded_database() -> dict:
    """Start (or reuse) the private PostgreSQL and return Django ``DATABASES['default']`` for it."""
    import warnings

    warnings.filterwarnings("ignore", module="platformdirs")
    import pgserver

    logging.getLogger("pgserver").setLevel(logging.WARNING)
    EMBEDDED_PGDATA.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(EMBEDDED_PGDATA, cleanup_mode=None)
    info = server.get_postmaster_info()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DB_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or 5432),
    }


def stop_embedded_database() -> None:
    """Stop the private PostgreSQL if it runs (``make stop``)."""
    import os

    import pgserver

    if (EMBEDDED_PGDATA / "postmaster.pid").exists():
        user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs postgres as this user under root
        pgserver.pg_ctl(["-m", "fast", "stop"], pgdata=EMBEDDED_PGDATA, user=user)
