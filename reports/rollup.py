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


# The first period of the structural indicators: the earliest founding date or visit.
START_SQL = """(SELECT LEAST((SELECT min(established_on) FROM teams_team), (SELECT min(date) FROM households_visit),
                            %(today)s::date))"""

STRUCTURAL_FACTS_SQL = f"""
    WITH periods AS ({_periods_sql(START_SQL)}),
    team_periods AS (
        SELECT t.id, t.area_id, p.period, p.as_of
        FROM teams_team t JOIN periods p
          ON t.established_on <= p.as_of AND (t.dissolved_on IS NULL OR t.dissolved_on > p.as_of)
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
    SELECT h.id, p.period, x.indicator, 1
    FROM areas_area h
    JOIN periods p
      ON (h.valid_from IS NULL OR h.valid_from <= p.as_of) AND (h.valid_to IS NULL OR h.valid_to >= p.as_of)
    CROSS JOIN LATERAL (
        VALUES ('hamlets'),
               (CASE WHEN EXISTS (SELECT 1 FROM team_periods tp WHERE tp.area_id = h.id AND tp.period = p.period)
                     THEN 'hamlets_with_team' END)
    ) AS x(indicator)
    WHERE h.level = 'hamlet' AND x.indicator IS NOT NULL
"""


def _activity_facts_sql(where: str = "", join: str = "") -> str:
    """Own activity facts of visits (optionally restricted by ``join``/``where`` on ``v``), every period kind."""
    return f"""
    WITH monthly AS (
        SELECT v.area_id, date_trunc('month', v.date) AS m, 'visits' AS indicator, count(*) AS value
        FROM households_visit v {join} {where}
        GROUP BY 1, 2
        UNION ALL
        SELECT v.area_id, date_trunc('month', v.date), t.code, sum(va.quantity)
        FROM households_visit v {join}
        JOIN households_visitactivity va ON va.visit_id = v.id
        JOIN households_activitytype t ON t.id = va.activity_type_id
        {where}
        GROUP BY 1, 2, 3
    ),
    household_months AS (
        SELECT DISTINCT v.area_id, v.household_id, date_trunc('month', v.date) AS m
        FROM households_visit v {join} {where} {"AND" if where else "WHERE"} v.household_id IS NOT NULL
    )
    INSERT INTO reports_fact (area_id, period, indicator, value)
    SELECT area_id, p.period, indicator, sum(value)
    FROM monthly
    CROSS JOIN LATERAL (VALUES ({MONTH.format("m")}), ({QUARTER.format("m")}), ({YEAR.format("m")})) p(period)
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT area_id, {MONTH.format("m")}, 'households_visited', count(*) FROM household_months GROUP BY 1, 2
    UNION ALL
    SELECT area_id, q, 'households_visited', count(*)
    FROM (SELECT DISTINCT area_id, household_id, {QUARTER.format("m")} AS q FROM household_months) x GROUP BY 1, 2
    UNION ALL
    SELECT area_id, y, 'households_visited', count(*)
    FROM (SELECT DISTINCT area_id, household_id, {YEAR.format("m")} AS y FROM household_months) x GROUP BY 1, 2
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
    cursor.execute("SET LOCAL statement_timeout = 0")


def _params() -> dict:
    return {"today": timezone.localdate(), "now": timezone.now()}


def _structural(cursor, params: dict) -> int:
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


def _full(cursor, params: dict) -> int:
    cursor.execute("DELETE FROM reports_dirty")
    cursor.execute("DELETE FROM reports_fact")
    cursor.execute("DELETE FROM reports_kpivalue")
    cursor.execute(_activity_facts_sql(), params)
    cursor.execute(_kpi_from_facts_sql(indicators=IS_ACTIVITY), params)
    rows = cursor.rowcount
    return rows + _structural(cursor, params)


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
        cursor.execute("DROP TABLE IF EXISTS _dirty, _pairs, _aff, _years, _new")
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
    """Recompute the own facts of the dirty (area, period) pairs, then the KPIs of their ancestors."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE _pairs ON COMMIT DROP AS
        SELECT DISTINCT d.area_id, p.period, p.first_day, p.last_day
        FROM _dirty d CROSS JOIN LATERAL (VALUES
            ({MONTH.format("d.day")}, date_trunc('month', d.day)::date,
             (date_trunc('month', d.day) + interval '1 month' - interval '1 day')::date),
            ({QUARTER.format("d.day")}, date_trunc('quarter', d.day)::date,
             (date_trunc('quarter', d.day) + interval '3 month' - interval '1 day')::date),
            ({YEAR.format("d.day")}, date_trunc('year', d.day)::date,
             (date_trunc('year', d.day) + interval '1 year' - interval '1 day')::date)
        ) AS p(period, first_day, last_day)
        WHERE d.kind = 'v';
        CREATE TEMP TABLE _aff ON COMMIT DROP AS
        SELECT DISTINCT anc.id AS area_id, x.period
        FROM _pairs x JOIN areas_area a ON a.id = x.area_id {ANCESTORS};
        ANALYZE _pairs; ANALYZE _aff;
        DELETE FROM reports_fact f USING _pairs x
        WHERE f.area_id = x.area_id AND f.period = x.period AND {IS_ACTIVITY};
        """
    )
    # Recompute each dirty area's facts for the widest dirty period (its year), then keep only dirty periods.
    cursor.execute(
        "CREATE TEMP TABLE _years ON COMMIT DROP AS "
        "SELECT area_id, first_day, last_day FROM _pairs WHERE length(period) = 4"
    )
    cursor.execute(
        "CREATE TEMP TABLE _new (LIKE reports_fact) ON COMMIT DROP;"
        + _activity_facts_sql(
            join="JOIN _years y ON y.area_id = v.area_id AND v.date BETWEEN y.first_day AND y.last_day"
        ).replace("INSERT INTO reports_fact", "INSERT INTO _new"),
        params,
    )
    cursor.execute(
        "INSERT INTO reports_fact (area_id, period, indicator, value) "
        "SELECT n.area_id, n.period, n.indicator, n.value FROM _new n "
        "JOIN _pairs x ON x.area_id = n.area_id AND x.period = n.period"
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
        WHERE f.period IN (SELECT DISTINCT period FROM _aff) AND {IS_ACTIVITY}
        GROUP BY 1, 2, 3
        """,
        params,
    )
    return cursor.rowcount


def last_computed_at():
    run = RollupRun.objects.order_by("-finished_at").only("finished_at").first()
    return run.finished_at if run else None


def dirty_pending() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM reports_dirty)")
        return cursor.fetchone()[0]


def today() -> date:
    return timezone.localdate()
