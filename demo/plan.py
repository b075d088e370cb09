"""The seeded plan of a data set: which communes, how many hamlets each, their households, visits and pace.

Everything random comes from ``random.Random`` seeded with a string made of the seed and a commune's official code,
so a seed gives the same plan on every run, and one commune's plan does not depend on how many communes come
before it.

- ``small``: the legacy district of province 80 with the fewest communes, ~30 hamlets, ~5,000 households, ~30,000
  visits. What tests and the demo use; a few seconds.
- ``province``: all 186 legacy communes, ~1,100 hamlets, ~450,000 households, ~2.5 million visits.
- ``nation``: the province × ``factor`` (10). It reuses the real legacy communes of province 80 and then of the
  other legacy provinces in code order, until it has ``factor`` × 186 communes, each planned like the province's
  (so a province's data is the same in both sets). Those provinces must be imported first
  (``manage.py import_admin_units --structure legacy``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count

from areas.models import Area, Level, Structure
from demo.names import HAMLET_NAMES, random_day
from teams.models import Team

PROVINCE_CODE = "80"  # Long An in the legacy structure
MARKER = "generate_demo"  # Team.notes of generated teams start with it; hamlets etc. are found through them
DAYS = 730  # two years of visits, ending on ``end``
TET = {2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
       2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3)}  # fmt: skip


class DemoError(Exception):
    """The data set cannot be generated (or deleted) as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Scale:
    hamlets_per_commune: tuple[int, int]
    households_per_hamlet: tuple[int, int]
    visits_per_household: float = 5.15
    factor: float = 1.0  # nation: how many provinces' worth of communes


SCALES = {
    "small": Scale(hamlets_per_commune=(4, 5), households_per_hamlet=(150, 220)),
    "province": Scale(hamlets_per_commune=(5, 7), households_per_hamlet=(300, 500)),
    "nation": Scale(hamlets_per_commune=(5, 7), households_per_hamlet=(300, 500), factor=10.0),
}


@dataclass
class Unit:
    """A hamlet (with its team) or a commune-level team, and what its visits need to know."""

    commune: Area
    province_code: str
    number: int  # 0 for the commune-level team, 1.. for hamlets
    name: str = ""
    kind: str = ""
    households: int = 0
    visits: int = 0
    established_on: date | None = None
    decision_number: str = ""
    last_active: date | None = None  # idle teams stop visiting after this day
    area_id: int = 0
    team_id: int = 0
    member_ids: list[int] = field(default_factory=list)
    member_weights: list[float] = field(default_factory=list)


def marker(scale: str, seed: int) -> str:
    return f"{MARKER} scale={scale} seed={seed}"


def generated_teams():
    return Team.objects.filter(notes__startswith=MARKER)


def existing_sets() -> list[tuple[str, int]]:
    """The generated data sets in the database: [(marker text, number of teams)]."""
    rows = generated_teams().values("notes").annotate(n=Count("pk")).order_by("notes")
    return [(row["notes"], row["n"]) for row in rows]


def communes_for(scale: str, factor: float | None) -> list[Area]:
    legacy = Area.objects.filter(structure=Structure.LEGACY)
    province = legacy.filter(level=Level.PROVINCE, code=PROVINCE_CODE).first()
    if province is None:
        raise DemoError(
            "The legacy units of province 80 are missing: run manage.py import_admin_units --province 80 first."
        )
    communes = legacy.filter(level=Level.COMMUNE)
    own = list(communes.under(province).order_by("code"))
    if scale == "small":
        district = (
            legacy.filter(level=Level.DISTRICT, parent=province)
            .annotate(n=Count("children"))
            .order_by("n", "code")
            .first()
        )
        return [c for c in own if c.parent_id == district.pk]
    if scale == "province":
        return own
    wanted = round((factor or SCALES["nation"].factor) * len(own))
    chosen = list(own)
    others = legacy.filter(level=Level.PROVINCE).exclude(pk=province.pk).order_by("code")
    for other in others:
        if len(chosen) >= wanted:
            break
        chosen.extend(communes.under(other).order_by("code")[: wanted - len(chosen)])
    if len(chosen) < wanted:
        raise DemoError(
            f"The nation scale needs {wanted} legacy communes but only {len(chosen)} are imported: "
            "run manage.py import_admin_units --structure legacy first."
        )
    return chosen[:wanted]


def day_weights(first: date, last: date) -> tuple[list[date], list[float]]:
    """Each day's share of a team's visits: weekends lower, a dip at Tết, the 01/10–10/10 campaign × 6."""
    days, weights = [], []
    span = max((last - first).days, 1)
    day = first
    while day <= last:
        weight = 0.8 + 0.4 * (day - first).days / span  # slow growth over the two years
        weight *= (1, 1, 1, 1, 1, 0.75, 0.45)[day.weekday()]
        tet = TET.get(day.year)
        if tet and -3 <= (day - tet).days <= 6:
            weight *= 0.25
        if day.month == 10 and day.day <= 10:
            weight *= 6
        days.append(day)
        weights.append(weight)
        day += timedelta(days=1)
    return days, weights


def plan_commune(
    commune: Area, scale: Scale, seed: int, end: date, taken: set[str], province_code: str = PROVINCE_CODE
) -> list[Unit]:
    """The hamlets (and maybe a commune-level team) of one commune, with their sizes and activity."""
    rng = random.Random(f"{seed}:plan:{commune.code}")
    urban = commune.kind in ("Phường", "Thị trấn")
    southern = int(province_code) >= 70  # ấp and khu phố in the south, thôn and tổ dân phố further north
    kind = ("Khu phố" if southern else "Tổ dân phố") if urban else ("Ấp" if southern else "Thôn")
    pace = _pace(rng)
    decision_day = random_day(rng, date(2022, 3, 10), date(2022, 8, 31))
    decision = f"{rng.randint(12, 480)}/QĐ-UBND"  # one decision founds the commune's hamlet teams
    units = []
    if urban or rng.random() < 0.15:  # a commune-level team, helping people at the commune's one-stop desk
        units.append(
            Unit(
                commune=commune,
                province_code=province_code,
                number=0,
                established_on=decision_day - timedelta(days=1 + rng.randrange(20)),
                decision_number=f"{rng.randint(12, 480)}/QĐ-UBND",
            )
        )
    names = [n for n in HAMLET_NAMES if f"{kind} {n}".lower() not in taken]
    number = 0
    for i in range(1, rng.randint(*scale.hamlets_per_commune) + 1):
        name, number = _hamlet_name(rng, kind=kind, southern=southern, names=names, taken=taken, number=number)
        unit = Unit(commune=commune, province_code=province_code, number=i, name=name, kind=kind)
        _plan_hamlet(rng, unit, scale=scale, pace=pace, founding=(decision_day, decision), end=end)
        units.append(unit)
    if units[0].number == 0:
        units[0].visits = round(sum(u.households for u in units) * 0.05 * pace)
    return units


def _pace(rng: random.Random) -> float:
    """How fast a commune's teams visit: some communes far ahead (one in ten), some behind (about one in eight)."""
    pace = rng.lognormvariate(0, 0.2)
    roll = rng.random()
    if roll < 0.1:
        pace *= 1.8
    elif roll < 0.22:
        pace *= 0.5
    return pace


def _hamlet_name(
    rng: random.Random, *, kind: str, southern: bool, names: list[str], taken: set[str], number: int
) -> tuple[str, int]:
    """A name not yet taken in the commune (one in five in the south is a Mekong-delta name, the rest numbered),
    and the last number used."""
    if southern and rng.random() < 0.2 and names:
        name = f"{kind} {names.pop(rng.randrange(len(names)))}"
    else:
        number += 1
        while f"{kind} {number}".lower() in taken:
            number += 1
        name = f"{kind} {number}"
    taken.add(name.lower())
    return name, number


def _plan_hamlet(
    rng: random.Random, unit: Unit, *, scale: Scale, pace: float, founding: tuple[date, str], end: date
) -> None:
    """A hamlet's size, visits and founding: most teams founded by the commune's decision, one in seven later."""
    decision_day, decision = founding
    unit.households = rng.randint(*scale.households_per_hamlet)
    late = rng.random() < 0.15
    unit.visits = round(unit.households * scale.visits_per_household * pace * rng.lognormvariate(0, 0.3))
    unit.established_on = random_day(rng, decision_day, date(2022, 12, 31)) if late else decision_day
    unit.decision_number = f"{rng.randint(12, 480)}/QĐ-UBND" if late else decision
    if rng.random() < 0.05:  # idle in the last months
        unit.last_active = end - timedelta(days=rng.randint(45, 150))
