"""Prepared statements for the portal's hottest queries (a visit POST, token authentication).

Planning a short statement costs PostgreSQL more than running it, and compiling an ORM query costs Python more
than both; these statements are written once, prepared once per database session and executed by name.
"""

import threading
import weakref

from django.db import ProgrammingError, connection

# The statements prepared in each database session (PostgreSQL ``PREPARE`` lasts as long as the session and is not
# undone by a rollback), by the driver's connection object: a new connection starts with none. Each thread has its
# own connection; the lock guards the mapping itself.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PREPARED_LOCK = threading.Lock()


def execute_prepared(cursor, name: str, statement, params: list) -> None:
    """Run ``statement()`` (placeholders ``$1``, ``$2``… with their types) as the prepared statement ``name``.

    The statement still goes through Django's cursor, so it is logged, counted and carries the audit context like
    any other query. (Session-level prepared statements need a direct connection or a session-mode pooler, which
    is how the portal is deployed.)
    """
    with _PREPARED_LOCK:
        prepared = _PREPARED.setdefault(connection.connection, set())
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS {statement()}")
        prepared.add(name)
    try:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    except ProgrammingError as error:
        if getattr(error.__cause__, "sqlstate", None) == "26000":  # deallocated behind our back (DISCARD ALL)
            prepared.discard(name)  # prepared again next time
        raise


def columns(model, alias: str) -> str:
    """Every concrete column of ``model`` for a select list, as ``alias."column"``, in field order."""
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def instances(row: tuple, *models) -> list:
    """Model instances from one row holding every concrete column (``columns()``) of each of ``models`` in turn."""
    result, start = [], 0
    for model in models:
        fields = model._meta.concrete_fields
        values = row[start : start + len(fields)]
        result.append(model.from_db(connection.alias, [f.attname for f in fields], values))
        start += len(fields)
    return result
