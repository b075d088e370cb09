"""Prepared statements for the portal's hottest queries (a visit POST, token authentication).

Planning a short statement costs PostgreSQL more than running it, and compiling an ORM query costs Python more
than both; these statements are written once, prepared once per database session and executed by name.
"""

import threading
import weakref
from contextlib import nullcontext

from django.db import ProgrammingError, connection

from cnscd.audit import without_context

# The statements prepared in each database session (PostgreSQL ``PREPARE`` lasts as long as the session and is not
# undone by a rollback), by the driver's connection object: a new connection starts with none. Each thread has its
# own connection; the lock guards the mapping itself.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PREPARED_LOCK = threading.Lock()


def execute_prepared(cursor, name: str, statement, params: list, *, reads_only: bool = False) -> None:
    """Run ``statement()`` (placeholders ``$1``, ``$2``… with their types) as the prepared statement ``name``.

    The statement still goes through Django's cursor, so it is logged and counted like any other query, and a
    write carries the audit context. A read (``reads_only``) does not: pghistory prepends its context to every
    statement that does not start with SELECT, and an EXECUTE does not. (Session-level prepared statements need a
    direct connection or a session-mode pooler, which is how the portal is deployed.)
    """
    execute_prepared_together(cursor, [(name, statement, params)], reads_only=reads_only)


def execute_prepared_together(cursor, statements: list[tuple[str, object, list]], *, reads_only: bool = False) -> None:
    """Run several ``(name, statement, params)`` as ``execute_prepared`` does, in one round trip to the database.

    The cursor stands on the first statement's rows; ``cursor.nextset()`` moves to the next statement's.
    """
    with _PREPARED_LOCK:
        prepared = _PREPARED.setdefault(connection.connection, set())
    with without_context() if reads_only else nullcontext():
        for name, statement, _params in statements:
            if name not in prepared:
                cursor.execute(f"PREPARE {name} AS {statement()}")
                prepared.add(name)
        sql = "; ".join(f"EXECUTE {name}({', '.join(['%s'] * len(params))})" for name, _s, params in statements)
        try:
            cursor.execute(sql, [value for _n, _s, params in statements for value in params])
        except ProgrammingError as error:
            if getattr(error.__cause__, "sqlstate", None) == "26000":  # deallocated behind our back (DISCARD ALL)
                prepared.difference_update(name for name, _s, _p in statements)  # prepared again next time
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
