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
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from reports.models import RollupRun

LOCK_KEY = 80_2026_11  # pg_advisory_xact_lock key of the rollup
STRUCTURAL = ("teams", "members", "members_trained", "hamlets", "hamlets_with_team")
ACTIVITY_BASE = ("visits", "households_visited")
DERIVED = ("hamlet_coverage",)

# Period labels of a date/timestamp column, in SQL.
MONTH = "to_char({0}, 'YYYY-MM')"
QUARTER = "to_char({0}, 'YYYY-\"Q\"Q')"
YEAR = "to_char({0}, 'YYYY')"


def _periods_sql(start: str) -> str:
    """Every month, quarter and year from ``start`` to today's, with its first day and "as of" day."""
    return f"""
        SELECT {MONTH.format("m")} AS period, m::date AS first_day,
               LEAST((m + interval '1 month' - interval '1 day')::date, %(today)s::date) AS as_of
        FROM generate_series(date_trunc('month', {start}), date_trunc('month', %(today)s::date), interval '1 month') m
        UNION ALL
        SELECT {QUARTER.format("q")}, q::date,
               LEAST((q + interval '3 month' - interval '1 day')::date, %(today)s::date)
        FROM generate_series(date_trunc('quarter', {start}), date_trunc('quarter', %(today)s::date),
                             interval '3 month') q
        UNION ALL
        SELECT {YEAR.format("y")}, y::date, LEAST((y + interval '1 year' - interval '1 day')::date, %(today)s::date)
        FROM generate_series(date_trunc('year', {start}), date_trunc('year', %(today)s::date), interval '1 year') y
    """


# The first period of the structural indicators: the earliest founding date or visit (computed once).
START_SQL = "%(start)s::date"

STRUCTURAL_FACTS_SQL = f"""
    WITH periods AS MATERIALIZED ({_periods_sql(START_SQL)}),
    team_periods AS MATERIALIZED (
        SELECT t.id, t.area_id, p.period, p.as_of
        FROM teams_team t JOIN periods p
          ON t.established_on <= p.as_of AND (t.dissolved_on IS NULL OR t.dissolved_on > p.as_of)
    ),
    hamlet_periods AS MATERIALIZED (
        SELECT h.id, h.parent_id, p.period
        FROM areas_area h JOIN periods p
          ON (h.valid_from IS NULL OR h.valid_from <= p.as_of) AND (h.valid_to IS NULL OR h.valid_to >= p.as_of)
        WHERE h.level = 'hamlet'
    )
    INSERT INTO reports_fact (area_id, period, indicator, value)
    SELECT area_id, period, 'teams', count(*) FROM team_periods GROUP BY 1, 2
    UNION ALL
    SELECT tp.area_id, tp.period, x.indicator, count(*)
    FROM team_periods tp
    JOIN members_member m ON m.team_id = tp.id
         AND (m.joined_on IS NULL OR m.joined_on <= tp.as_of) AND (m.left_on IS NULL OR m.left_on > tp.as_of)
    CROSS JOIN LATERAL (VALUES ('members'), (CASE WHEN m.trained_on <= tp.as_of THEN 'members_trained' END))
         AS x(indicator)
    WHERE x.indicator IS NOT NULL
    GROUP BY 1, 2, 3
    UNION ALL
    -- hamlets are counted on their commune (coverage is a figure of a commune and above)
    SELECT parent_id, period, 'hamlets', count(*) FROM hamlet_periods GROUP BY 1, 2
    UNION ALL
    SELECT hp.parent_id, hp.period, 'hamlets_with_team', count(DISTINCT hp.id)
    FROM hamlet_periods hp JOIN team_periods tp ON tp.area_id = hp.id AND tp.period = hp.period
    GROUP BY 1, 2
"""


# Households per month, quarter and year of one (area, year), from the bit mask of months with a visit.
HOUSEHOLD_COUNTS = ",\n".join(
    [f"count(*) FILTER (WHERE months & {7 << (3 * q)} <> 0) AS q{q + 1}" for q in range(4)]
    + [f"count(*) FILTER (WHERE months & {1 << m} <> 0) AS m{m + 1}" for m in range(12)]
)
HOUSEHOLD_PERIODS = ", ".join(
    ["(y::text, yc)"]
    + [f"(y || '-Q{q}', q{q})" for q in range(1, 5)]
    + [f"(y || '-{m:02d}', m{m})" for m in range(1, 13)]
)


def _activity_facts_sql(where: str = "", join: str = "") -> str:
    """Own activity facts of visits (optionally restricted by ``join``/``where`` on ``v``), every period kind.

    Visits and activities are grouped by (area, month) on raw columns, then rolled to quarters and years.
    Distinct households take one pass: per (area, household, year) the months with a visit as a bit mask, from
    which one aggregate counts the households of each month, quarter and the year.
    """
    household_filter = f"{'AND' if where else 'WHERE'} v.household_id IS NOT NULL"
    return f"""
    WITH monthly AS (
        SELECT v.area_id, date_trunc('month', v.date::timestamp)::date AS m, 'visits' AS indicator, count(*) AS value
        FROM households_visit v {join} {where}
        GROUP BY 1, 2
        UNION ALL
        SELECT x.area_id, x.m, t.code, x.value
        FROM (
            SELECT v.area_id, date_trunc('month', v.date::timestamp)::date AS m, va.activity_type_id,
                   sum(va.quantity) AS value
            FROM households_visit v {join}
            JOIN households_visitactivity va ON va.visit_id = v.id
            {where}
            GROUP BY 1, 2, 3
        ) x JOIN households_activitytype t ON t.id = x.activity_type_id
    ),
    household_years AS (
        SELECT area_id, y, count(*) AS yc, {HOUSEHOLD_COUNTS}
        FROM (
            SELECT v.area_id, v.household_id, date_part('year', v.date::timestamp)::int AS y,
                   bit_or(1 << (date_part('month', v.date::timestamp)::int - 1)) AS months
            FROM households_visit v {join} {where} {household_filter}
            GROUP BY 1, 2, 3
        ) h
        GROUP BY 1, 2
    )
    INSERT INTO reports_fact (area_id, period, indicator, value)
    SELECT area_id, p.period, indicator, sum(value)
    FROM monthly
    CROSS JOIN LATERAL (VALUES (to_char(m, 'YYYY-MM')), (to_char(m, 'YYYY-"Q"Q')), (to_char(m, 'YYYY'))) p(period)
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT area_id, p.period, 'households_visited', p.value
    FROM household_years
    CROSS JOIN LATERAL (VALUES {HOUSEHOLD_PERIODS}) p(period, value)
    WHERE p.value > 0
    """


ANCESTORS = "CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM a.path), '/')::bigint[]) AS anc(id)"


def _kpi_from_facts_sql(*, indicators: str, join: str = "") -> str:
    """Subtree sums of facts into kpivalue, for facts whose indicator matches ``indicators`` (SQL condition)."""
    return f"""
    INSERT INTO reports_kpivalue (area_id, period, indicator, value, computed_at)
    SELECT anc.id, f.period, f.indicator, sum(f.value), %(now)s
    FROM reports_fact f JOIN areas_area a ON a.id = f.area_id {ANCESTORS} {join}
    WHERE {indicators}
    GROUP BY 1, 2, 3
    """


COVERAGE_SQL = """
    INSERT INTO reports_kpivalue (area_id, period, indicator, value, computed_at)
    SELECT h.area_id, h.period, 'hamlet_coverage', round(100.0 * coalesce(c.value, 0) / h.value, 1), %(now)s
    FROM reports_kpivalue h
    LEFT JOIN reports_kpivalue c
      ON c.area_id = h.area_id AND c.period = h.period AND c.indicator = 'hamlets_with_team'
    WHERE h.indicator = 'hamlets' AND h.value > 0
"""

IS_STRUCTURAL = "f.indicator IN ('teams', 'members', 'members_trained', 'hamlets', 'hamlets_with_team')"
IS_ACTIVITY = f"NOT ({IS_STRUCTURAL})"


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
    cursor.execute(
        "SELECT LEAST((SELECT min(established_on) FROM teams_team), (SELECT min(date) FROM households_visit), %s)",
        [params["today"]],
    )
    return {**params, "start": cursor.fetchone()[0]}


def _structural(cursor, params: dict) -> int:
    params = _start(cursor, params)
    cursor.execute(
        "DELETE FROM reports_fact WHERE indicator IN ('teams', 'members', 'members_trained', 'hamlets', "
        "'hamlets_with_team')"
    )
    cursor.execute(
        "DELETE FROM reports_kpivalue WHERE indicator IN ('teams', 'members', 'members_trained', 'hamlets', "
        "'hamlets_with_team', 'hamlet_coverage')"
    )
    cursor.execute(STRUCTURAL_FACTS_SQL, params)
    cursor.execute(_kpi_from_facts_sql(indicators=IS_STRUCTURAL), params)
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
    cursor.execute(_build_sql(_activity_facts_sql()), params)
    cursor.execute(_build_sql(STRUCTURAL_FACTS_SQL), params)
    cursor.execute("ANALYZE reports_fact_build")
    cursor.execute(_build_sql(_kpi_from_facts_sql(indicators="TRUE")), params)
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
        # ON COMMIT DROP is not enough when the run is nested in a caller's transaction (report submission)
        cursor.execute("DROP TABLE IF EXISTS _dirty, _pairs, _aff, _new")
        cursor.execute(
            "CREATE TEMP TABLE _dirty (kind char(1), area_id bigint, day date) ON COMMIT DROP;"
            "WITH d AS (DELETE FROM reports_dirty RETURNING kind, area_id, day) "
            "INSERT INTO _dirty SELECT DISTINCT kind, area_id, day FROM d"
        )
        cursor.execute("SELECT kind FROM _dirty GROUP BY kind")
        kinds = {row[0] for row in cursor.fetchall()}
        if "t" in kinds:  # the tree changed (a reorganisation): every subtree sum may move
            rows = _full(cursor, params)
            return _record(RollupRun.FULL, started, started_at, rows)
        rows = 0
        cursor.execute(  # a new month began: its structural figures do not exist yet
            "SELECT NOT EXISTS (SELECT 1 FROM reports_fact WHERE period = %s AND indicator IN "
            "('teams', 'hamlets')) AND EXISTS (SELECT 1 FROM reports_fact WHERE indicator IN ('teams', 'hamlets'))",
            [params["today"].strftime("%Y-%m")],
        )
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
    cursor.execute(
        f"""
        CREATE TEMP TABLE _pairs ON COMMIT DROP AS
        SELECT DISTINCT d.area_id, p.kind, p.period, p.first_day, p.last_day
        FROM _dirty d CROSS JOIN LATERAL (VALUES
            ('m', {MONTH.format("d.day")}, date_trunc('month', d.day)::date,
             (date_trunc('month', d.day) + interval '1 month' - interval '1 day')::date),
            ('q', {QUARTER.format("d.day")}, date_trunc('quarter', d.day)::date,
             (date_trunc('quarter', d.day) + interval '3 month' - interval '1 day')::date),
            ('y', {YEAR.format("d.day")}, date_trunc('year', d.day)::date,
             (date_trunc('year', d.day) + interval '1 year' - interval '1 day')::date)
        ) AS p(kind, period, first_day, last_day)
        WHERE d.kind = 'v';
        CREATE TEMP TABLE _aff ON COMMIT DROP AS
        SELECT DISTINCT anc.id AS area_id, x.period
        FROM _pairs x JOIN areas_area a ON a.id = x.area_id {ANCESTORS};
        ANALYZE _pairs; ANALYZE _aff;
        DELETE FROM reports_fact f USING _pairs x
        WHERE f.area_id = x.area_id AND f.period = x.period AND {IS_ACTIVITY};
        CREATE TEMP TABLE _new (LIKE reports_fact) ON COMMIT DROP;
        """
    )
    # 1. dirty months, from their visits (the statement also yields partial quarters and years: not kept)
    months = "JOIN _pairs x ON x.kind = 'm' AND x.area_id = v.area_id AND v.date BETWEEN x.first_day AND x.last_day"
    cursor.execute(_activity_facts_sql(join=months).replace("INSERT INTO reports_fact", "INSERT INTO _new"), params)
    cursor.execute(
        "INSERT INTO reports_fact (area_id, period, indicator, value) "
        "SELECT n.area_id, n.period, n.indicator, n.value FROM _new n "
        "JOIN _pairs x ON x.kind = 'm' AND x.area_id = n.area_id AND x.period = n.period"
    )
    # 2. quarters and years of the summed indicators: the sums of their months
    cursor.execute(
        f"""
        INSERT INTO reports_fact (area_id, period, indicator, value)
        SELECT x.area_id, x.period, f.indicator, sum(f.value)
        FROM _pairs x
        JOIN reports_fact f ON f.area_id = x.area_id AND length(f.period) = 7
             AND f.period BETWEEN to_char(x.first_day, 'YYYY-MM') AND to_char(x.last_day, 'YYYY-MM')
        WHERE x.kind IN ('q', 'y') AND {IS_ACTIVITY} AND f.indicator <> 'households_visited'
        GROUP BY 1, 2, 3
        """
    )
    # 3. distinct households of the quarters and years, counted again
    cursor.execute(
        f"""
        INSERT INTO reports_fact (area_id, period, indicator, value)
        SELECT hy.area_id, p.period, 'households_visited', p.value
        FROM (
            SELECT area_id, y, count(*) AS yc, {HOUSEHOLD_COUNTS}
            FROM (
                SELECT v.area_id, v.household_id, date_part('year', v.date::timestamp)::int AS y,
                       bit_or(1 << (date_part('month', v.date::timestamp)::int - 1)) AS months
                FROM households_visit v
                JOIN _pairs x ON x.kind = 'y' AND x.area_id = v.area_id AND v.date BETWEEN x.first_day AND x.last_day
                WHERE v.household_id IS NOT NULL
                GROUP BY 1, 2, 3
            ) h
            GROUP BY 1, 2
        ) hy
        CROSS JOIN LATERAL (VALUES {HOUSEHOLD_PERIODS}) p(period, value)
        JOIN _pairs x ON x.kind IN ('q', 'y') AND x.area_id = hy.area_id AND x.period = p.period
        WHERE p.value > 0
        """
    )
    cursor.execute(
        f"""
        DELETE FROM reports_kpivalue f USING _aff x
        WHERE f.area_id = x.area_id AND f.period = x.period AND {IS_ACTIVITY}
          AND f.indicator <> 'hamlet_coverage'
        """
    )
    cursor.execute(
        f"""
        INSERT INTO reports_kpivalue (area_id, period, indicator, value, computed_at)
        SELECT anc.id, f.period, f.indicator, sum(f.value), %(now)s
        FROM reports_fact f
        JOIN areas_area a ON a.id = f.area_id {ANCESTORS}
        JOIN _aff x ON x.area_id = anc.id AND x.period = f.period
        WHERE f.period = ANY(%(periods)s) AND {IS_ACTIVITY}
        GROUP BY 1, 2, 3
        """,
        {**params, "periods": _affected_periods(cursor)},
    )
    return cursor.rowcount


def _affected_periods(cursor) -> list[str]:
    cursor.execute("SELECT DISTINCT period FROM _aff")
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
