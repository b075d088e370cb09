"""The dashboard's figures for one area, read from the rollup's summary tables with a handful of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from areas.models import Area
from reports import selectors
from reports.models import KpiValue
from reports.periods import parse_period

CARDS = ["households_visited", "dvctt_account", "cashless_account", "vneid_activation", "teams", "members_trained"]
RANKING = ["households_visited", "visits", "dvctt_account", "cashless_account", "vneid_activation", "teams",
           "hamlet_coverage"]  # fmt: skip
IDLE_DAYS = 30
TREND_MONTHS = 12


def _months_back(today: date, n: int) -> list[str]:
    months, day = [], today.replace(day=1)
    for _ in range(n):
        months.append(day.strftime("%Y-%m"))
        day = (day - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def _trend(area: Area, today: date) -> tuple[list[dict], Decimal]:
    """Households visited in each of the last ``TREND_MONTHS`` months, as bars of a 150-pixel chart; the top."""
    months = _months_back(today, TREND_MONTHS)
    trend_rows = dict(
        KpiValue.objects.filter(area=area, period__in=months, indicator="households_visited").values_list(
            "period", "value"
        )
    )
    top = max([v for v in trend_rows.values()] + [Decimal(1)])
    trend = []
    for index, month in enumerate(months):
        height = round(float((trend_rows.get(month) or 0) / top) * 140)
        trend.append({"label": f"{month[5:]}/{month[2:4]}", "value": trend_rows.get(month), "x": index * 40,
                      "y": 150 - height, "height": height})  # fmt: skip
    return trend, top


def _figure(value, target) -> dict:
    return {"value": value, "target": target, "achievement": selectors.achievement(value, target)}


def _idle(area: Area, today: date) -> tuple[int, list]:
    """How many teams of ``area`` logged no visit in the last ``IDLE_DAYS`` days, and the 20 idle longest."""
    idle = selectors.idle_teams(area=area, start=today - timedelta(days=IDLE_DAYS), end=today)
    return idle.count(), list(idle.select_related("area__parent").order_by("last_visit", "area__path")[:20])


def dashboard_data(*, area: Area, year: int, today: date, rank_by: str) -> dict:
    """Cards (the year's figures against targets), the trend, the child areas ranked by ``rank_by``, idle teams."""
    indicators = {i.code: i for i in selectors.indicator_list()}
    period = parse_period(str(year))
    children = list(Area.objects.filter(parent=area).order_by("code", "name"))
    ids = [area.pk] + [c.pk for c in children]
    values, computed = selectors.kpi_values(ids, period)
    wanted = [indicators[c] for c in dict.fromkeys(CARDS + RANKING + ["members"]) if c in indicators]
    targets = selectors.targets_for(ids, period, wanted)

    def value(area_id: int, code: str):
        return selectors.family_value(code, values.get(area_id, {}))

    cards = [
        {"indicator": indicators[code], **_figure(value(area.pk, code), targets.get((area.pk, code)))}
        for code in CARDS
        if code in indicators
    ]
    members, trained = value(area.pk, "members"), value(area.pk, "members_trained")
    trend, top = _trend(area, today)
    rank_code = rank_by if rank_by in RANKING and rank_by in indicators else RANKING[0]
    ranking = [
        {"area": child, **_figure(value(child.pk, rank_code), targets.get((child.pk, rank_code)))} for child in children
    ]
    ranking.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0), r["area"].name))
    idle_count, idle_list = _idle(area, today)
    return {
        "area": area,
        "ancestors": list(area.ancestors().exclude(pk=area.pk)),
        "year": year,
        "cards": cards,
        "training": selectors.achievement(trained, members) if members else None,
        "members": members,
        "trained": trained,
        "coverage": value(area.pk, "hamlet_coverage"),
        "trend": trend,
        "trend_top": top,
        "ranking": ranking,
        "rank_indicator": indicators[rank_code],
        "rank_choices": [indicators[c] for c in RANKING if c in indicators],
        "idle_count": idle_count,
        "idle": idle_list,
        "idle_days": IDLE_DAYS,
        "computed_at": computed.get(area.pk),
    }
