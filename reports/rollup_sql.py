"""The rollup's SQL text (``reports/rollup.py`` runs it): periods, facts, subtree sums and the incremental steps.

Kept apart from the code that runs it so that each statement reads whole. The text is what the benchmarks
measured (``bench/bench_rollup.py``): a change here is a change of plan, to be measured again.
"""

from __future__ import annotations

# Period labels of a date/timestamp column, in SQL.
MONTH = "to_char({0}, 'YYYY-MM')"
QUARTER = "to_char({0}, 'YYYY-\"Q\"Q')"
YEAR = "to_char({0}, 'YYYY')"


def periods_sql(start: str) -> str:
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
    WITH periods AS MATERIALIZED ({periods_sql(START_SQL)}),
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


def activity_facts_sql(where: str = "", join: str = "") -> str:
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


def kpi_from_facts_sql(*, indicators: str, join: str = "") -> str:
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


# --- Shared by both runs ------------------------------------------------------------------------------------

# The first day of the structural indicators: the earliest founding date or visit.
FIRST_DAY_SQL = (
    "SELECT LEAST((SELECT min(established_on) FROM teams_team), (SELECT min(date) FROM households_visit), %s)"
)
STRUCTURAL_FACTS_DELETE_SQL = (
    "DELETE FROM reports_fact WHERE indicator IN ('teams', 'members', 'members_trained', 'hamlets', "
    "'hamlets_with_team')"
)
STRUCTURAL_KPIS_DELETE_SQL = (
    "DELETE FROM reports_kpivalue WHERE indicator IN ('teams', 'members', 'members_trained', 'hamlets', "
    "'hamlets_with_team', 'hamlet_coverage')"
)


# --- The incremental run --------------------------------------------------------------------------------------

# ON COMMIT DROP is not enough when the run is nested in a caller's transaction (report submission).
TEMP_TABLES_DROP_SQL = "DROP TABLE IF EXISTS _dirty, _pairs, _aff, _new"
DIRTY_TAKE_SQL = (
    "CREATE TEMP TABLE _dirty (kind char(1), area_id bigint, day date) ON COMMIT DROP;"
    "WITH d AS (DELETE FROM reports_dirty RETURNING kind, area_id, day) "
    "INSERT INTO _dirty SELECT DISTINCT kind, area_id, day FROM d"
)
DIRTY_KINDS_SQL = "SELECT kind FROM _dirty GROUP BY kind"
# A new month began: its structural figures do not exist yet.
NEW_MONTH_SQL = (
    "SELECT NOT EXISTS (SELECT 1 FROM reports_fact WHERE period = %s AND indicator IN "
    "('teams', 'hamlets')) AND EXISTS (SELECT 1 FROM reports_fact WHERE indicator IN ('teams', 'hamlets'))"
)

# The dirty (area, period) pairs of visits and their ancestors' pairs; the pairs' own activity facts deleted.
PAIRS_SQL = f"""
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

# 1. Dirty months, from their visits (the statement also yields partial quarters and years: not kept).
DIRTY_MONTHS_JOIN = (
    "JOIN _pairs x ON x.kind = 'm' AND x.area_id = v.area_id AND v.date BETWEEN x.first_day AND x.last_day"
)
DIRTY_MONTHS_SQL = activity_facts_sql(join=DIRTY_MONTHS_JOIN).replace("INSERT INTO reports_fact", "INSERT INTO _new")
DIRTY_MONTHS_KEEP_SQL = (
    "INSERT INTO reports_fact (area_id, period, indicator, value) "
    "SELECT n.area_id, n.period, n.indicator, n.value FROM _new n "
    "JOIN _pairs x ON x.kind = 'm' AND x.area_id = n.area_id AND x.period = n.period"
)

# 2. Quarters and years of the summed indicators: the sums of their months.
SUMMED_QUARTERS_SQL = f"""
        INSERT INTO reports_fact (area_id, period, indicator, value)
        SELECT x.area_id, x.period, f.indicator, sum(f.value)
        FROM _pairs x
        JOIN reports_fact f ON f.area_id = x.area_id AND length(f.period) = 7
             AND f.period BETWEEN to_char(x.first_day, 'YYYY-MM') AND to_char(x.last_day, 'YYYY-MM')
        WHERE x.kind IN ('q', 'y') AND {IS_ACTIVITY} AND f.indicator <> 'households_visited'
        GROUP BY 1, 2, 3
        """

# 3. Distinct households of the quarters and years, counted again.
HOUSEHOLD_QUARTERS_SQL = f"""
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

# The activity KPIs of the affected ancestors, deleted and summed again from the facts of their subtrees.
ACTIVITY_KPIS_DELETE_SQL = f"""
        DELETE FROM reports_kpivalue f USING _aff x
        WHERE f.area_id = x.area_id AND f.period = x.period AND {IS_ACTIVITY}
          AND f.indicator <> 'hamlet_coverage'
        """
ACTIVITY_KPIS_SQL = f"""
        INSERT INTO reports_kpivalue (area_id, period, indicator, value, computed_at)
        SELECT anc.id, f.period, f.indicator, sum(f.value), %(now)s
        FROM reports_fact f
        JOIN areas_area a ON a.id = f.area_id {ANCESTORS}
        JOIN _aff x ON x.area_id = anc.id AND x.period = f.period
        WHERE f.period = ANY(%(periods)s) AND {IS_ACTIVITY}
        GROUP BY 1, 2, 3
        """
AFFECTED_PERIODS_SQL = "SELECT DISTINCT period FROM _aff"
