"""Reads of KPIs: values from the summary tables (or, for a campaign range, from the facts), targets, ranks."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from areas.models import Area
from reports import rollup
from reports.models import Aggregation, Indicator, KpiValue, Target
from reports.periods import MONTH, QUARTER, RANGE, YEAR, Period
from reports.rollup_sql import ANCESTORS

STRUCTURAL = set(rollup.STRUCTURAL)


def default_area(user) -> Area | None:
    """The widest area of the user's scope (the first of their minimal scope paths), for pages and the API."""
    from areas import scoping

    paths = scoping.scope_paths(user)
    return Area.objects.filter(path=paths[0]).first() if paths else None


def indicator_list() -> list[Indicator]:
    """The catalogue, in its order (kept complete by ``reports.services.indicators_sync``)."""
    return list(Indicator.objects.all())


def _round1(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def family_value(code: str, values: dict[str, Decimal]) -> Decimal | None:
    """The value of ``code`` where the rollup stored no row: 0 if its family reported anything, else empty."""
    if code in values:
        return values[code]
    if code in STRUCTURAL:
        return Decimal(0) if any(k in values for k in STRUCTURAL) else None
    if code == "hamlet_coverage":
        return None
    return Decimal(0) if "visits" in values else None


def _range_values(area_ids: list[int], period: Period) -> dict[int, dict[str, Decimal]]:
    """Every indicator of a date range for these areas' subtrees, straight from visits and rosters."""
    params = {"ids": area_ids, "start": period.start, "end": period.end}
    sql = f"""
        WITH v AS (
            SELECT anc.id AS area_id, v.id, v.household_id
            FROM households_visit v JOIN areas_area a ON a.id = v.area_id {ANCESTORS}
            WHERE v.date BETWEEN %(start)s AND %(end)s AND anc.id = ANY(%(ids)s)
        ),
        t AS (
            SELECT anc.id AS area_id, t.id
            FROM teams_team t JOIN areas_area a ON a.id = t.area_id {ANCESTORS}
            WHERE anc.id = ANY(%(ids)s) AND t.established_on <= %(end)s
              AND (t.dissolved_on IS NULL OR t.dissolved_on > %(end)s)
        ),
        h AS (
            SELECT anc.id AS area_id, a.id, EXISTS (SELECT 1 FROM t WHERE t.area_id = a.id) AS covered
            FROM areas_area a {ANCESTORS}
            WHERE a.level = 'hamlet' AND anc.id = ANY(%(ids)s)
              AND (a.valid_from IS NULL OR a.valid_from <= %(end)s) AND (a.valid_to IS NULL OR a.valid_to >= %(end)s)
        )
        SELECT area_id, 'visits', count(*) FROM v GROUP BY 1
        UNION ALL SELECT area_id, 'households_visited', count(DISTINCT household_id) FROM v GROUP BY 1
        UNION ALL
        SELECT v.area_id, at.code, sum(va.quantity)
        FROM v JOIN households_visitactivity va ON va.visit_id = v.id
        JOIN households_activitytype at ON at.id = va.activity_type_id GROUP BY 1, 2
        UNION ALL SELECT area_id, 'teams', count(*) FROM t GROUP BY 1
        UNION ALL
        SELECT t.area_id, x.indicator, count(*)
        FROM t JOIN members_member m ON m.team_id = t.id
             AND (m.joined_on IS NULL OR m.joined_on <= %(end)s) AND (m.left_on IS NULL OR m.left_on > %(end)s)
        CROSS JOIN LATERAL (VALUES ('members'), (CASE WHEN m.trained_on <= %(end)s THEN 'members_trained' END))
             AS x(indicator)
        WHERE x.indicator IS NOT NULL GROUP BY 1, 2
        UNION ALL SELECT area_id, 'hamlets', count(*) FROM h GROUP BY 1
        UNION ALL SELECT area_id, 'hamlets_with_team', count(*) FROM h WHERE covered GROUP BY 1
    """
    values: dict[int, dict[str, Decimal]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for area_id, code, value in cursor.fetchall():
            values[area_id][code] = Decimal(value)
    for by_code in values.values():
        if by_code.get("hamlets"):
            covered = by_code.get("hamlets_with_team", Decimal(0))
            by_code["hamlet_coverage"] = _round1(100 * covered / by_code["hamlets"])
    return values


def kpi_values(area_ids: list[int], period: Period) -> tuple[dict[int, dict[str, Decimal]], dict]:
    """{area id: {indicator: value}} for the areas' subtrees, and {area id: computed_at}."""
    computed: dict = {}
    if period.kind == RANGE:
        from django.utils import timezone

        now = timezone.now()
        return _range_values(area_ids, period), dict.fromkeys(area_ids, now)
    values: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows = KpiValue.objects.filter(area_id__in=area_ids, period=period.label).values_list(
        "area_id", "indicator", "value", "computed_at"
    )
    for area_id, code, value, computed_at in rows:
        values[area_id][code] = value
        if computed.get(area_id) is None or computed_at > computed[area_id]:
            computed[area_id] = computed_at
    return values, computed


def targets_for(area_ids: list[int], period: Period, indicators: list[Indicator]) -> dict[tuple[int, str], Decimal]:
    """{(area id, indicator code): target} for the period: a year's target, a month's, or a quarter's
    (the sum of its three months for summed indicators, its last month's for the others). None for ranges."""
    if period.kind == RANGE:
        return {}
    by_code = {i.pk: i for i in indicators}
    query = Target.objects.filter(area_id__in=area_ids, indicator_id__in=by_code, year=period.start.year)
    if period.kind == YEAR:
        query = query.filter(month__isnull=True)
    else:
        query = query.filter(month__in=[m for _y, m in period.months])
    found: dict[tuple[int, str], dict[int | None, Decimal]] = defaultdict(dict)
    for target in query:
        found[(target.area_id, by_code[target.indicator_id].code)][target.month] = target.value
    result: dict[tuple[int, str], Decimal] = {}
    codes = {i.code: i for i in indicators}
    for key, by_month in found.items():
        if period.kind in (YEAR, MONTH):
            result[key] = next(iter(by_month.values()))
        elif period.kind == QUARTER:
            months = [m for _y, m in period.months]
            if codes[key[1]].aggregation == Aggregation.SUM:
                if all(m in by_month for m in months):
                    result[key] = sum(by_month[m] for m in months)
            elif months[-1] in by_month:
                result[key] = by_month[months[-1]]
    return result


def idle_teams(*, area: Area, start: date, end: date):
    """Active teams under ``area`` founded by ``end`` with no visit from ``start`` to ``end``, each annotated with
    ``last_visit`` (its last visit up to ``end``); both come from the (team, date) index, not a join of all visits."""
    from django.db.models import Exists, OuterRef, Subquery

    from households.models import Visit
    from teams.models import Team

    in_range = Visit.objects.filter(team=OuterRef("pk"), date__range=(start, end))
    last = Visit.objects.filter(team=OuterRef("pk"), date__lte=end).order_by("-date").values("date")[:1]
    return (
        Team.objects.active()
        .filter(area__path__startswith=area.path, established_on__lte=end)
        .annotate(active_in_range=Exists(in_range), last_visit=Subquery(last))
        .filter(active_in_range=False)
    )


def achievement(value, target) -> Decimal | None:
    if value is None or not target:
        return None
    return _round1(Decimal(value) * 100 / Decimal(target))


def kpi_rows(*, area: Area, period: Period, indicators: list[Indicator], breakdown: bool) -> list[dict]:
    """The rows of ``/api/v1/kpis/``: one per (area, indicator); with ``breakdown`` one per child area.

    Child areas are ranked per indicator (1 = highest value; areas without a value are not ranked).
    """
    areas = list(Area.objects.filter(parent=area).order_by("code", "name")) if breakdown else [area]
    ids = [a.pk for a in areas]
    values, computed = kpi_values(ids, period)
    targets = targets_for(ids, period, indicators)
    fallback = rollup.last_computed_at()
    rows = []
    for item in areas:
        for indicator in indicators:
            value = family_value(indicator.code, values.get(item.pk, {}))
            target = targets.get((item.pk, indicator.code))
            rows.append(
                {
                    "area": item.pk,
                    "area_name": item.name,
                    "indicator": indicator.code,
                    "period": period.label,
                    "value": value,
                    "target": target,
                    "achievement": achievement(value, target),
                    "computed_at": computed.get(item.pk) or fallback,
                }
            )
    if breakdown:
        by_indicator = defaultdict(list)
        for row in rows:
            by_indicator[row["indicator"]].append(row)
        for group in by_indicator.values():
            ranked = sorted((r for r in group if r["value"] is not None), key=lambda r: -r["value"])
            previous, rank = None, 0
            for position, row in enumerate(ranked, start=1):
                if row["value"] != previous:
                    rank, previous = position, row["value"]
                row["rank"] = rank
            for row in group:
                row.setdefault("rank", None)
    return rows


def target_warnings(targets: list[Target]) -> dict[int, list[str]]:
    """For each target of an area with children: a warning when its children's targets do not add up to it."""
    from django.db.models import Sum
    from django.utils.translation import gettext as _

    if not targets:
        return {}
    parents = {t.pk: t for t in targets}
    sums = (
        Target.objects.filter(
            area__parent_id__in={t.area_id for t in targets},
            indicator_id__in={t.indicator_id for t in targets},
            year__in={t.year for t in targets},
        )
        .values("area__parent_id", "indicator_id", "year", "month")
        .annotate(total=Sum("value"))
    )
    totals = {(s["area__parent_id"], s["indicator_id"], s["year"], s["month"]): s["total"] for s in sums}
    warnings: dict[int, list[str]] = {}
    for pk, target in parents.items():
        if target.indicator.aggregation != Aggregation.SUM and target.indicator.code not in ("teams", "members"):
            continue
        total = totals.get((target.area_id, target.indicator_id, target.year, target.month))
        if total is not None and total != target.value:
            warnings[pk] = [
                _("The targets of the child areas add up to %(total)s, not %(value)s.")
                % {"total": f"{total:n}", "value": f"{target.value:n}"}
            ]
    return warnings
