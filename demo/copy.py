"""Bulk writing for the demo data: PostgreSQL COPY text, reserved ids, and one long transaction without audit.

Households, visits and visit activities are written as COPY text, flushed in chunks, with ids reserved from the
tables' sequences (the caller locks the tables against other writers for the duration). Foreign keys are checked
at the end of each statement (``SET CONSTRAINTS ALL IMMEDIATE``), which keeps PostgreSQL's queue of pending checks
small.

Audit: the django-pghistory triggers on the tables written are skipped (``cnscd.audit.triggers_skipped``, a
transaction-local setting the triggers read), so a generated data set leaves no audit events; constraints, foreign
keys and other apps' triggers (the KPI rollup's change queue) still apply. ``session_replication_role = replica``
would also switch off the foreign-key checks and needs a superuser; ``ALTER TABLE … DISABLE TRIGGER`` would save
the ~10 µs a row an ignored trigger still costs (about a minute of the province set) but locks the tables against
readers too. The transaction lifts the connection's ``statement_timeout`` (``SET LOCAL``): deleting or flagging
millions of rows takes longer than a web request may.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from areas.models import Area
from cnscd import audit
from households.models import Household, Visit, VisitActivity
from members.models import Member
from teams.models import Team

AUDITED = (Area, Team, Member, Household, Visit, VisitActivity)  # every table the demo writes or deletes


class CopyBuffer:
    """Rows for one table as COPY text, written to PostgreSQL when flushed."""

    def __init__(self, table: str, columns: str):
        self.sql = f"COPY {table} ({columns}) FROM STDIN"
        self.buffer = io.StringIO()
        self.rows = 0
        self.total = 0

    def flush(self, cursor) -> None:
        if not self.rows:
            return
        cursor.execute("SELECT 1")  # through Django's cursor, so pgtrigger's ignore setting is in place
        with cursor.cursor.copy(self.sql) as copy:
            copy.write(self.buffer.getvalue())
        self.total += self.rows
        self.rows = 0
        self.buffer = io.StringIO()


def reserve(cursor, table: str) -> int:
    """The next id of ``table``'s sequence; the caller holds an EXCLUSIVE lock and sets the sequence after."""
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
    return cursor.fetchone()[0]


def set_sequence(cursor, table: str, last_id: int) -> None:
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last_id])


@contextmanager
def bulk_writes() -> Iterator[None]:
    """One transaction for a whole data set, with the audit triggers of the demo's tables skipped."""
    with audit.triggers_skipped(*AUDITED), transaction.atomic(), _bulk_transaction():
        yield


@contextmanager
def _bulk_transaction() -> Iterator[None]:
    """Inside a transaction: no statement_timeout, and foreign keys checked at the end of each statement.

    Deleting or flagging millions of rows takes longer than the statement_timeout set for web requests (settings);
    immediate checks keep PostgreSQL's queue of pending foreign-key checks to one statement's rows. Both are
    restored afterwards, for a caller's enclosing transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        timeout = cursor.fetchone()[0]
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [timeout])
