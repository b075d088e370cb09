"""Row builders of the demo data: a unit's hamlet, team and roster as unsaved model instances (``bulk_create``
saves them), the rest of its rows as COPY text in ``demo.rows``.

Each unit (a hamlet and its team, or a commune-level team) draws from generators seeded with the data set's seed
and the unit's commune code and number, so its rows do not depend on the units built before it.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import accumulate

from areas.models import Area, Level
from demo.names import Picker, mobile_phone, person_name, random_day
from demo.plan import Unit
from members.models import Gender, Member, MemberRole, Organization
from members.validators import citizen_id_hash
from teams.models import Team

LEADER_ORGANIZATIONS = {"youth_union": 70, "hamlet_head": 20, "party_cell": 5, "fatherland_front": 5}
MEMBER_ORGANIZATIONS = {"youth_union": 88, "women_union": 4, "police": 3, "enterprise": 2, "farmers_union": 1,
                        "veterans": 1, "teacher": 1}  # fmt: skip
COMMUNE_ROSTER = [(MemberRole.LEADER, "commune_staff"), (MemberRole.DEPUTY, "youth_union"),
                  (MemberRole.MEMBER, "police"), (MemberRole.MEMBER, "enterprise")]  # fmt: skip


def hamlet(unit: Unit) -> Area:
    """A hamlet under its commune, valid as long as the commune is (as ``areas.services.hamlet_create`` does)."""
    commune = unit.commune
    return Area(
        structure=commune.structure,
        level=Level.HAMLET,
        kind=unit.kind,
        name=unit.name,
        parent=commune,
        valid_from=commune.valid_from,
        valid_to=commune.valid_to,
    )


def team(unit: Unit, *, seed: int, note: str) -> Team:
    """The unit's team, founded by a decision of the commune's people's committee; seven in ten have a Zalo group."""
    rng = random.Random(f"{seed}:team:{unit.commune.code}:{unit.number}")
    commune = unit.commune
    issuer = commune.name
    if commune.kind and issuer.startswith(commune.kind):
        issuer = commune.kind.lower() + issuer[len(commune.kind) :]
    return Team(
        area_id=unit.area_id,
        name=f"Tổ Công nghệ số cộng đồng {unit.name or commune.name}",
        established_on=unit.established_on,
        decision_number=unit.decision_number,
        decision_issuer=f"UBND {issuer}",
        zalo_group_url=f"https://zalo.me/g/{rng.getrandbits(40):010x}" if rng.random() < 0.7 else "",
        notes=note,
    )


def roster(unit: Unit, *, seed: int, end: date, phones: set[str], hashes: set[str]) -> tuple[list[Member], list]:
    """The unit's five members (four for a commune team) and the cumulative weights of how often each visits.

    ``phones`` and ``hashes`` hold those of every active member, so the roster rules (one active entry per phone
    and citizen ID) hold; the new members' are added.
    """
    rng = random.Random(f"{seed}:members:{unit.commune.code}:{unit.number}")
    if unit.number:
        roles = [(MemberRole.LEADER, Picker(LEADER_ORGANIZATIONS).one(rng)), (MemberRole.DEPUTY, "youth_union")]
        other = Picker(MEMBER_ORGANIZATIONS)
        roles += [(MemberRole.MEMBER, other.one(rng)) for _ in range(3)]
    else:
        roles = COMMUNE_ROSTER
    members, weights = [], []
    for role, organization in roles:
        members.append(_member(rng, unit, role, organization, end=end, phones=phones, hashes=hashes))
        if role == MemberRole.LEADER:
            weights.append(1.2)
        elif rng.random() < 0.15:
            weights.append(0.05)  # on the roster, hardly ever out visiting
        else:
            weights.append(rng.uniform(0.3, 1.3))
    return members, list(accumulate(weights))


def _member(
    rng: random.Random, unit: Unit, role: str, organization: str, *, end: date, phones: set[str], hashes: set[str]
) -> Member:
    if organization == Organization.WOMEN_UNION:
        gender = Gender.FEMALE
    elif organization in ("hamlet_head", "police", "veterans"):
        gender = Gender.MALE if rng.random() < 0.85 else Gender.FEMALE
    else:
        gender = Gender.MALE if rng.random() < 0.5 else Gender.FEMALE
    if organization == Organization.YOUTH_UNION:
        birth_year = rng.randint(1988, 2005)
    elif organization in ("hamlet_head", "party_cell", "veterans", "fatherland_front"):
        birth_year = rng.randint(1955, 1980)
    else:
        birth_year = rng.randint(1965, 1995)
    phone = _new_phone(rng, phones) if rng.random() < 0.92 else ""
    id_hash = last4 = ""
    if rng.random() < 0.7:
        id_hash, last4 = _new_citizen_id(rng, unit.province_code, gender, birth_year, hashes)
    trained_on = None
    if rng.random() < 0.8:
        trained_on = random_day(rng, unit.established_on + timedelta(days=20), min(date(2024, 12, 31), end))
    return Member(
        team_id=unit.team_id,
        full_name=person_name(rng, gender),
        gender=gender,
        birth_year=birth_year,
        phone=phone,
        citizen_id_hash=id_hash,
        citizen_id_last4=last4,
        organization=organization,
        role=role,
        joined_on=unit.established_on,
        trained_on=trained_on,
    )


def _new_phone(rng: random.Random, phones: set[str]) -> str:
    phone = mobile_phone(rng)
    while phone in phones:
        phone = mobile_phone(rng)
    phones.add(phone)
    return phone


def _new_citizen_id(
    rng: random.Random, province_code: str, gender: str, birth_year: int, hashes: set[str]
) -> tuple[str, str]:
    """A citizen ID of the province (its century-and-gender digit right), as the keyed hash and the last 4 digits."""
    while True:
        century = (0 if birth_year < 2000 else 2) + (gender == Gender.FEMALE)
        citizen_id = f"0{province_code}{century}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"
        id_hash = citizen_id_hash(citizen_id)
        if id_hash not in hashes:
            break
    hashes.add(id_hash)
    return id_hash, citizen_id[-4:]
