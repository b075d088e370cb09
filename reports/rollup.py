"""The KPI rollup, in SQL on the database: facts per area, then sums over every subtree.

Two steps, each one statement over the whole province:

1. ``reports_fact`` — the figures of exactly one area (its own visits, teams, members, hamlets) for every month,
   quarter and year. Visits are first grouped by (area, month); quarters and years are sums of months, except
   ``households_visited``, a distinct count, which is counted again for each quarter and year.
2. ``reports_kpivalue`` — for every area, the sum of the facts of its subtree (found through the stored path,
   ``/1/23/456/``: each fact is added to each id of its area's path). ``households_visited`` adds up over areas
   because a household's visits are recorded on its own hamlet. ``hamlet_coverage`` is then
   ``hamlets_with_team / hamlets`` × 100.

Structural indicators (teams, members, trained members, hamlets) are as of the end of each period (today for the
current one). Activity indicators have rows only where visits were logged: an (area, period) with no ``visits``
row is "nobody reported" and reads as empty, never 0.

Incremental runs read ``reports_dirty``, which statement-level triggers fill on every write to visits and their
activities (bulk syncs and imports included), rosters and the area tree. A run takes a transaction-scoped
advisory lock, so runs never overlap, and everything — consuming the dirty rows included — commits at once: a
killed run changes nothing, and the next one gives the numbers of a clean run.

The statements themselves are in ``reports/rollup_sql.py``; this module runs them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from reports.models import RollupRun
from reports.rollup_sql import (
    ACTIVITY_KPIS_DELETE_SQL,
    ACTIVITY_KPIS_SQL,
    AFFECTED_PERIODS_SQL,
    COVERAGE_SQL,
    DIRTY_KINDS_SQL,
    DIRTY_MONTHS_KEEP_SQL,
    DIRTY_MONTHS_SQL,
    DIRTY_TAKE_SQL,
    FIRST_DAY_SQL,
    HOUSEHOLD_QUARTERS_SQL,
    IS_STRUCTURAL,
    NEW_MONTH_SQL,
    PAIRS_SQL,
    STRUCTURAL_FACTS_DELETE_SQL,
    STRUCTURAL_FACTS_SQL,
    STRUCTURAL_KPIS_DELETE_SQL,
    SUMMED_QUARTERS_SQL,
    TEMP_TABLES_DROP_SQL,
    activity_facts_sql,
    kpi_from_facts_sql,
)

LOCK_KEY = 80_2026_11  # pg_advisory_xact_lock key of the rollup
STRUCTURAL = ("teams", "members", "members_trained", "hamlets", "hamlets_with_team")
ACTIVITY_BASE = ("visits", "households_visited")
DERIVED = ("hamlet_coverage",)


@dataclass
class RollupResult:
    kind: str
    seconds: float
    rows: int
    computed_at: object


def _begin(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute("SET LOCAL statement_timeout = 0")


def _params() -> dict:
    return {"today": timezone.localdate(), "now": timezone.now()}


def _start(cursor, params: dict) -> dict:
    cursor.execute(FIRST_DAY_SQL, [params["today"]])
    return {**params, "start": cursor.fetchone()[0]}


def _structural(cursor, params: dict) -> int:
    params = _start(cursor, params)
    cursor.execute(STRUCTURAL_FACTS_DELETE_SQL)
    cursor.execute(STRUCTURAL_KPIS_DELETE_SQL)
    cursor.execute(STRUCTURAL_FACTS_SQL, params)
    cursor.execute(kpi_from_facts_sql(indicators=IS_STRUCTURAL), params)
    rows = cursor.rowcount
    cursor.execute(COVERAGE_SQL, params)
    return rows + cursor.rowcount


def _record(kind: str, started: float, started_at, rows: int) -> RollupResult:
    seconds = time.perf_counter() - started
    finished = timezone.now()
    RollupRun.objects.create(kind=kind, started_at=started_at, finished_at=finished, seconds=seconds, rows=rows)
    return RollupResult(kind=kind, seconds=seconds, rows=rows, computed_at=finished)


SUMMARY_TABLES = ("reports_fact", "reports_kpivalue")


def _build_sql(sql: str) -> str:
    """The same statement writing to (and reading from) the build tables of a full run."""
    for table in SUMMARY_TABLES:
        sql = sql.replace(table, f"{table}_build")
    return sql


def _full(cursor, params: dict) -> int:
    """Recompute everything into fresh tables, index them, then swap them in.

    Loading tables without indexes and indexing afterwards is several times faster than replacing rows in place
    (each new row's unique check would meet the deleted row of the same key). Readers keep the previous figures
    until the swap, which holds an exclusive lock only for the renames; a killed run leaves the old tables.
    """
    params = _start(cursor, params)
    cursor.execute("DELETE FROM reports_dirty")
    for table in SUMMARY_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}_build")
        cursor.execute(f"CREATE TABLE {table}_build (LIKE {table} INCLUDING DEFAULTS)")
    cursor.execute(_build_sql(activity_facts_sql()), params)
    cursor.execute(_build_sql(STRUCTURAL_FACTS_SQL), params)
    cursor.execute("ANALYZE reports_fact_build")
    cursor.execute(_build_sql(kpi_from_facts_sql(indicators="TRUE")), params)
    rows = cursor.rowcount
    cursor.execute(_build_sql(COVERAGE_SQL), params)
    rows += cursor.rowcount
    for table in SUMMARY_TABLES:
        _index_like(cursor, table)
    cursor.execute(f"LOCK TABLE {', '.join(SUMMARY_TABLES)} IN ACCESS EXCLUSIVE MODE")
    for table in SUMMARY_TABLES:
        _swap(cursor, table)
    return rows


def _indexes(cursor, table: str) -> tuple[list[tuple[str, str]], str | None]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [table])
    row = cursor.fetchone()
    return indexes, row[0] if row else None


def _index_like(cursor, table: str) -> None:
    """Give ``<table>_build`` the indexes and primary key of ``table``, under temporary names."""
    indexes, primary = _indexes(cursor, table)
    for name, definition in indexes:
        head, _on, rest = definition.partition(" ON ")
        rest = re.sub(rf"^(\w+\.)?{table} ", rf"\g<1>{table}_build ", rest)
        cursor.execute(f"{head.replace(name, f'{name}_build', 1)} ON {rest}")
        if name == primary:
            cursor.execute(
                f"ALTER TABLE {table}_build ADD CONSTRAINT {name}_build PRIMARY KEY USING INDEX {name}_build"
            )
    cursor.execute(f"ANALYZE {table}_build")


def _swap(cursor, table: str) -> None:
    indexes, primary = _indexes(cursor, table)
    cursor.execute(f"DROP TABLE {table}")
    cursor.execute(f"ALTER TABLE {table}_build RENAME TO {table}")
    for name, _definition in indexes:
        if name == primary:
            cursor.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {name}_build TO {name}")
        else:
            cursor.execute(f"ALTER INDEX {name}_build RENAME TO {name}")


def rollup_full() -> RollupResult:
    """Recompute every fact and KPI from the visits, rosters and the area tree (nightly, and on demand)."""
    started, started_at = time.perf_counter(), timezone.now()
    params = _params()
    with transaction.atomic(), connection.cursor() as cursor:
        _begin(cursor)
        rows = _full(cursor, params)
        return _record(RollupRun.FULL, started, started_at, rows)


def rollup_incremental() -> RollupResult:
    """Bring the KPIs up to date with what changed since the last run (the ``reports_dirty`` queue)."""
    started, started_at = time.perf_counter(), timezone.now()
    params = _params()
    with transaction.atomic(), connection.cursor() as cursor:
        _begin(cursor)
        cursor.execute(TEMP_TABLES_DROP_SQL)
        cursor.execute(DIRTY_TAKE_SQL)
        cursor.execute(DIRTY_KINDS_SQL)
        kinds = {row[0] for row in cursor.fetchall()}
        if "t" in kinds:  # the tree changed (a reorganisation): every subtree sum may move
            rows = _full(cursor, params)
            return _record(RollupRun.FULL, started, started_at, rows)
        rows = 0
        cursor.execute(NEW_MONTH_SQL, [params["today"].strftime("%Y-%m")])
        if "r" in kinds or cursor.fetchone()[0]:  # a roster changed, or a new month began
            rows += _structural(cursor, params)
        if "v" in kinds:
            rows += _visits_incremental(cursor, params)
        return _record(RollupRun.INCREMENTAL, started, started_at, rows)


def _visits_incremental(cursor, params: dict) -> int:
    """Recompute the own facts of the dirty (area, period) pairs, then the KPIs of their ancestors.

    Months are recomputed from their visits; quarters and years of summed indicators are sums of their months;
    distinct households of quarters and years are counted again from the (area, date, household) index alone.
    """
    cursor.execute(PAIRS_SQL)
    cursor.execute(DIRTY_MONTHS_SQL, params)
    cursor.execute(DIRTY_MONTHS_KEEP_SQL)
    cursor.execute(SUMMED_QUARTERS_SQL)
    cursor.execute(HOUSEHOLD_QUARTERS_SQL)
    cursor.execute(ACTIVITY_KPIS_DELETE_SQL)
    cursor.execute(ACTIVITY_KPIS_SQL, {**params, "periods": _affected_periods(cursor)})
    return cursor.rowcount


def _affected_periods(cursor) -> list[str]:
    cursor.execute(AFFECTED_PERIODS_SQL)
    return [row[0] for row in cursor.fetchall()]


def last_computed_at():
    run = RollupRun.objects.order_by("-finished_at").only("finished_at").first()
    return run.finished_at if run else None


def dirty_pending() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM reports_dirty)")
        return cursor.fetchone()[0]


def today() -> date:
    return timezone.localdate()
