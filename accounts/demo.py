"""Deterministic demo data sets for ``manage.py generate_demo`` (TARGETS.md, "The province-scale data set").

Built on the real units of the former Long An province (legacy structure, code 80): hamlets are added under its
communes, with one active team per hamlet (and a commune-level team in every ward and township and in about one
rural commune in seven, which helps people at the commune's one-stop desk: those visits have no household and the
commune as their area), rosters, households and two years of visits ending on ``end`` (today).

The hamlets take their communes' validity (until 30/06/2025), as ``areas.services.hamlet_create`` does; run
``manage.py apply_reorganization`` afterwards to move them, with everything recorded under them, to today's
communes.

- ``small``: the legacy district of province 80 with the fewest communes, ~30 hamlets, ~5,000 households, ~30,000
  visits. What tests and the demo use; a few seconds.
- ``province``: all 186 legacy communes, ~1,100 hamlets, ~450,000 households, ~2.5 million visits.
- ``nation``: the province × ``factor`` (10). It reuses the real legacy communes of province 80 and then of the
  other legacy provinces in code order, until it has ``factor`` × 186 communes, each generated like the
  province's (so a province's data is the same in both sets). Those provinces must be imported first
  (``manage.py import_admin_units --structure legacy``).

Everything random comes from ``random.Random`` seeded with a string made of the seed and a commune's official
code, so a seed gives the same data set on every run (ids aside, which come from the sequences), and one
commune's data does not depend on how many communes come before it.

Speed and memory: hamlets, teams and members (a few thousand rows) go through ``bulk_create``; households, visits
and visit activities are written as COPY text, hamlet by hamlet, flushed in chunks of about 100,000 visits, with
ids reserved from the tables' sequences (the three tables are locked against other writers for the duration,
one transaction in all). Foreign keys are checked at the end of each statement (``SET CONSTRAINTS ALL
IMMEDIATE``), which keeps PostgreSQL's queue of pending checks small. The households' derived flags are set
afterwards with one ``UPDATE … FROM`` that follows ``ActivityType.household_flag``.

Audit: the django-pghistory triggers on the tables written here are skipped with ``pgtrigger.ignore`` (a
transaction-local setting the triggers read), so a generated data set leaves no audit events; constraints, foreign
keys and other apps' triggers (the KPI rollup's change queue) still apply. ``session_replication_role = replica``
would also switch off the foreign-key checks and needs a superuser; ``ALTER TABLE … DISABLE TRIGGER`` would save
the ~10 µs a row an ignored trigger still costs (about a minute of the province set) but locks the tables against
readers too. The transaction lifts the connection's ``statement_timeout`` (``SET LOCAL``): deleting or flagging
millions of rows takes longer than a web request may.
"""

from __future__ import annotations

import hashlib
import io
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, ProtectedError

from areas.models import Area, Level, Structure, rebuild_paths
from cnscd import audit
from households.models import ActivityType, Channel, Household, HouseholdFlag, Visit, VisitActivity
from members.models import Gender, Member, MemberRole, Organization
from members.validators import citizen_id_hash
from teams.models import Team

PROVINCE_CODE = "80"  # Long An in the legacy structure
MARKER = "generate_demo"  # Team.notes of generated teams start with it; hamlets etc. are found through them
DAYS = 730  # two years of visits, ending on ``end``


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

# --- Vietnamese names (frequencies roughly those of the Mekong delta) ------------------------------------------
FAMILY = dict(
    Nguyễn=31, Trần=10, Lê=9, Phạm=6, Huỳnh=6, Võ=6, Phan=4, Trương=2.5, Hồ=2, Đặng=2, Bùi=1.5, Đỗ=1.5, Ngô=1.5,
    Dương=1.5, Lý=1, Đinh=1, Lâm=1, Đoàn=1, Châu=0.8, Mai=0.8, Cao=0.8, Lương=0.7, Tô=0.5, Thái=0.5, Hà=0.5,
    La=0.4, Quách=0.3, Vương=0.3, Tạ=0.3, Thạch=0.3, Danh=0.2, Kiều=0.2,
)  # fmt: skip
MIDDLE_MALE = dict(Văn=45, Minh=8, Hữu=8, Thanh=7, Quốc=6, Tấn=5, Công=5, Đức=4, Hoàng=3, Ngọc=3, Phước=3,
                   Trung=2, Thành=2)  # fmt: skip
MIDDLE_FEMALE = dict(Thị=55, Ngọc=8, Thanh=6, Kim=6, Hồng=4, Thu=4, Mỹ=4, Bích=3, Phương=3, Minh=3, Tuyết=2,
                     Diễm=2)  # fmt: skip
GIVEN_MALE = (
    "An Bình Cường Dũng Dương Đạt Hải Hậu Hiếu Hòa Hùng Huy Khang Khánh Kiệt Lâm Lộc Long Luân Minh Nam Nghĩa Nhân "
    "Phát Phong Phúc Phước Quang Sang Sơn Tài Tâm Tân Thắng Thành Thiện Thịnh Toàn Trí Trung Tuấn Tùng Việt Vinh "
    "Vũ Bảo Hưng Lợi Mạnh Tú Hiển Nhựt Tỷ Em"
).split()
GIVEN_FEMALE = (
    "Anh Ánh Bích Châu Diễm Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Hồng Hương Hường Lan Liên Linh Loan Mai Muội My "
    "Nga Ngân Ngọc Nhi Nhung Oanh Phương Phượng Quyên Thảo Thanh Thu Thủy Thúy Tiên Trang Trinh Tuyền Uyên Vân Vy "
    "Xuân Yến Huệ Lệ Cúc Đào"
).split()
HAMLET_NAMES = (
    "Bình Hòa,Bình Thạnh,Tân Hòa,Mỹ Lợi,Long Thạnh,Phước Lợi,Hòa Bình,Chợ,Mới,Bình An,Thạnh Hiệp,Tân Long,"
    "Rạch Chanh,Cầu Xây,Gò Đen,Bàu Sen,Kinh Mới,Tân Thuận,Bình Tây,Bình Đông,Phú Xuân,Mỹ Thuận,Vàm,Xóm Bưng,"
    "Long Hòa,Thạnh Phú,Hậu Thạnh,An Hòa,Nhơn Hòa,Cầu Ngang"
).split(",")
STREET_KINDS = ("Số", "Số", "Số", "Nhà")
OTHER_NOTES = (
    "Hướng dẫn cài đặt Zalo cho người cao tuổi",
    "Hướng dẫn xem camera an ninh trên điện thoại",
    "Hỗ trợ đăng ký khám bệnh trực tuyến",
    "Hướng dẫn tra cứu điểm thi của con",
)
# Mobile prefixes with rough market shares (Viettel, VinaPhone, MobiFone …), all in members.validators.
PHONE_PREFIXES = dict(
    [(p, 6) for p in ("096", "097", "098", "086", "032", "033", "034", "035", "036", "037", "038", "039")]
    + [(p, 4) for p in ("091", "094", "081", "082", "083", "084", "085", "088")]
    + [(p, 3) for p in ("090", "093", "089", "070", "076", "077", "078", "079")]
    + [(p, 1) for p in ("092", "056", "058", "099", "059")]
)
ACTIVITY_WEIGHTS = dict(
    dvctt_account=16, dvctt_application=12, cashless_account=13, cashless_payment=10, vneid_activation=17,
    ecommerce=4, health_app=8, cybersafety=7, local_platform=6, zalo_group=5, other=2,
)  # fmt: skip
CHANNELS = {
    Channel.DOOR_TO_DOOR: 86,
    Channel.COMMUNITY_SESSION: 7,
    Channel.ONLINE: 5,
    Channel.ONE_STOP_DESK: 2,
}
CATEGORIES = dict(poor=0.025, near_poor=0.035, policy=0.06, ethnic_minority=0.01)  # elderly_alone: see below
TET = {2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
       2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3)}  # fmt: skip


class Picker:
    """``rng.choices`` with precomputed cumulative weights (the fast path of ``random.choices``)."""

    def __init__(self, weights: dict):
        self.values = list(weights)
        self.cum = list(accumulate(weights.values()))
        self.total = self.cum[-1]

    def one(self, rng: random.Random):
        return self.values[bisect_right(self.cum, rng.random() * self.total, 0, len(self.cum) - 1)]

    def many(self, rng: random.Random, k: int) -> list:
        return rng.choices(self.values, cum_weights=self.cum, k=k)


FAMILY_PICK = Picker(FAMILY)
MIDDLE_PICK = {Gender.MALE: Picker(MIDDLE_MALE), Gender.FEMALE: Picker(MIDDLE_FEMALE)}
GIVEN = {Gender.MALE: GIVEN_MALE, Gender.FEMALE: GIVEN_FEMALE}
PHONE_PICK = Picker(PHONE_PREFIXES)
CHANNEL_PICK = Picker(CHANNELS)


def person_name(rng: random.Random, gender: str) -> str:
    return f"{FAMILY_PICK.one(rng)} {MIDDLE_PICK[gender].one(rng)} {rng.choice(GIVEN[gender])}"


def mobile_phone(rng: random.Random) -> str:
    return f"{PHONE_PICK.one(rng)}{rng.randrange(10_000_000):07d}"


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


# --- What gets generated ----------------------------------------------------------------------------------------
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


@dataclass
class Result:
    scale: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


Log = Callable[[str], None]


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
    pace = rng.lognormvariate(0, 0.2)  # some communes far ahead, some behind
    roll = rng.random()
    if roll < 0.1:
        pace *= 1.8
    elif roll < 0.22:
        pace *= 0.5
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
        if southern and rng.random() < 0.2 and names:  # the names are of the Mekong delta
            name = f"{kind} {names.pop(rng.randrange(len(names)))}"
        else:
            number += 1
            while f"{kind} {number}".lower() in taken:
                number += 1
            name = f"{kind} {number}"
        taken.add(name.lower())
        households = rng.randint(*scale.households_per_hamlet)
        late = rng.random() < 0.15
        unit = Unit(
            commune=commune,
            province_code=province_code,
            number=i,
            name=name,
            kind=kind,
            households=households,
            visits=round(households * scale.visits_per_household * pace * rng.lognormvariate(0, 0.3)),
            established_on=random_day(rng, decision_day, date(2022, 12, 31)) if late else decision_day,
            decision_number=f"{rng.randint(12, 480)}/QĐ-UBND" if late else decision,
        )
        if rng.random() < 0.05:  # idle in the last months
            unit.last_active = end - timedelta(days=rng.randint(45, 150))
        units.append(unit)
    hamlet_households = sum(u.households for u in units)
    if units[0].number == 0:
        units[0].visits = round(hamlet_households * 0.05 * pace)
    return units


# --- Writing ----------------------------------------------------------------------------------------------------
_AUDITED = (Area, Team, Member, Household, Visit, VisitActivity)


def _reserve(cursor, table: str) -> int:
    """The next id of ``table``'s sequence; the caller holds an EXCLUSIVE lock and sets the sequence after."""
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
    return cursor.fetchone()[0]


def _set_sequence(cursor, table: str, last_id: int) -> None:
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last_id])


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


def _uuid_prefix(scale: str, seed: int) -> int:
    high = int.from_bytes(hashlib.sha256(f"{MARKER}:{scale}:{seed}".encode()).digest()[:8], "big")
    return (high & ~0xF000) | 0x8000  # version 8 (custom) in the UUID's version nibble


class Generator:
    def __init__(self, *, scale: str, seed: int, end: date, factor: float | None, log: Log):
        self.scale_name, self.scale, self.seed, self.end, self.factor, self.log = (
            scale,
            SCALES[scale],
            seed,
            end,
            factor,
            log,
        )
        self.started = time.monotonic()
        self.counts: dict[str, int] = {}

    def say(self, stage: str, rows: int | None = None) -> None:
        rows_text = f"{rows:,} rows, " if rows is not None else ""
        self.log(f"{stage}: {rows_text}{time.monotonic() - self.started:.1f} s")

    def run(self) -> dict[str, int]:
        communes = communes_for(self.scale_name, self.factor)
        self.say(f"{len(communes)} communes")
        types = {
            t.code: (t.pk, t.household_flag) for t in ActivityType.objects.filter(active=True).order_by("order", "code")
        }
        if not types:
            raise DemoError("The activity catalogue is empty (households migrations not applied?).")
        self.activity_pick = Picker({pk: ACTIVITY_WEIGHTS.get(code, 1) for code, (pk, _) in types.items()})
        self.other_type = types.get("other", (None,))[0]
        first = self.end - timedelta(days=DAYS - 1)
        self.days, weights = day_weights(first, self.end)
        self.day_text = [d.isoformat() for d in self.days]
        self.day_cum = list(accumulate(weights))

        province_codes = dict(
            Area.objects.filter(structure=Structure.LEGACY, level=Level.PROVINCE).values_list("pk", "code")
        )
        taken: dict[int, set[str]] = {}
        for parent_id, name in Area.objects.filter(level=Level.HAMLET, parent__in=communes).values_list(
            "parent_id", "name"
        ):
            taken.setdefault(parent_id, set()).add(name.lower())
        units = [
            unit
            for commune in communes
            for unit in plan_commune(
                commune,
                self.scale,
                self.seed,
                self.end,
                taken.setdefault(commune.pk, set()),
                province_codes[int(commune.path.strip("/").split("/")[0])],
            )
        ]
        self._create_hamlets(units)
        self._create_teams(units)
        self._create_members(units)
        self._load_households_and_visits(units)
        self._set_flags(units)
        return self.counts

    def _create_hamlets(self, units: list[Unit]) -> None:
        hamlets = [
            Area(
                structure=u.commune.structure,
                level=Level.HAMLET,
                kind=u.kind,
                name=u.name,
                parent=u.commune,
                valid_from=u.commune.valid_from,
                valid_to=u.commune.valid_to,
            )
            for u in units
            if u.number
        ]
        Area.objects.bulk_create(hamlets, batch_size=2000)
        rebuild_paths()
        for unit, hamlet in zip((u for u in units if u.number), hamlets, strict=True):
            unit.area_id = hamlet.pk
        for unit in units:
            if not unit.number:
                unit.area_id = unit.commune.pk
        self.counts["hamlets"] = len(hamlets)
        self.say("hamlets", len(hamlets))

    def _create_teams(self, units: list[Unit]) -> None:
        note = marker(self.scale_name, self.seed)
        teams = []
        for unit in units:
            rng = random.Random(f"{self.seed}:team:{unit.commune.code}:{unit.number}")
            commune = unit.commune
            issuer = commune.name
            if commune.kind and issuer.startswith(commune.kind):
                issuer = commune.kind.lower() + issuer[len(commune.kind) :]
            teams.append(
                Team(
                    area_id=unit.area_id,
                    name=f"Tổ Công nghệ số cộng đồng {unit.name or commune.name}",
                    established_on=unit.established_on,
                    decision_number=unit.decision_number,
                    decision_issuer=f"UBND {issuer}",
                    zalo_group_url=f"https://zalo.me/g/{rng.getrandbits(40):010x}" if rng.random() < 0.7 else "",
                    notes=note,
                )
            )
        Team.objects.bulk_create(teams, batch_size=2000)
        for unit, team in zip(units, teams, strict=True):
            unit.team_id = team.pk
        self.counts["teams"] = len(teams)
        self.say("teams", len(teams))

    def _create_members(self, units: list[Unit]) -> None:
        active = Member.objects.filter(left_on__isnull=True)
        phones = set(active.exclude(phone="").values_list("phone", flat=True))
        hashes = set(active.exclude(citizen_id_hash="").values_list("citizen_id_hash", flat=True))
        members, owners = [], []
        for unit in units:
            rng = random.Random(f"{self.seed}:members:{unit.commune.code}:{unit.number}")
            if unit.number:
                leader_org = Picker({"youth_union": 70, "hamlet_head": 20, "party_cell": 5, "fatherland_front": 5})
                roles = [(MemberRole.LEADER, leader_org.one(rng)), (MemberRole.DEPUTY, "youth_union")]
                other = Picker({"youth_union": 88, "women_union": 4, "police": 3, "enterprise": 2, "farmers_union": 1,
                                "veterans": 1, "teacher": 1})  # fmt: skip
                roles += [(MemberRole.MEMBER, other.one(rng)) for _ in range(3)]
            else:
                roles = [(MemberRole.LEADER, "commune_staff"), (MemberRole.DEPUTY, "youth_union"),
                         (MemberRole.MEMBER, "police"), (MemberRole.MEMBER, "enterprise")]  # fmt: skip
            weights = []
            for role, organization in roles:
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
                phone = ""
                if rng.random() < 0.92:
                    phone = mobile_phone(rng)
                    while phone in phones:
                        phone = mobile_phone(rng)
                    phones.add(phone)
                id_hash = last4 = ""
                if rng.random() < 0.7:
                    while True:
                        century = (0 if birth_year < 2000 else 2) + (gender == Gender.FEMALE)
                        citizen_id = (
                            f"0{unit.province_code}{century}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"
                        )
                        id_hash = citizen_id_hash(citizen_id)
                        if id_hash not in hashes:
                            break
                    hashes.add(id_hash)
                    last4 = citizen_id[-4:]
                trained_on = None
                if rng.random() < 0.8:
                    trained_on = random_day(
                        rng, unit.established_on + timedelta(days=20), min(date(2024, 12, 31), self.end)
                    )
                members.append(
                    Member(
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
                )
                owners.append(unit)
                if role == MemberRole.LEADER:
                    weights.append(1.2)
                elif rng.random() < 0.15:
                    weights.append(0.05)  # on the roster, hardly ever out visiting
                else:
                    weights.append(rng.uniform(0.3, 1.3))
            unit.member_weights = list(accumulate(weights))
        Member.objects.bulk_create(members, batch_size=2000)
        for unit, member in zip(owners, members, strict=True):
            unit.member_ids.append(member.pk)
        self.counts["members"] = len(members)
        self.say("members", len(members))

    def _load_households_and_visits(self, units: list[Unit]) -> None:
        households = CopyBuffer(
            "households_household",
            "id, area_id, code, head_name, address, size, phone, consent_given, consent_recorded_at, categories, "
            "has_smartphone, has_dvctt_account, has_cashless, has_vneid, created_at, updated_at",
        )
        visits = CopyBuffer(
            "households_visit",
            "id, client_uuid, household_id, area_id, team_id, member_id, date, channel, note, created_by_id, "
            "created_at",
        )
        activities = CopyBuffer("households_visitactivity", "id, visit_id, activity_type_id, quantity")
        tables = ("households_household", "households_visit", "households_visitactivity")
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
            self.next_household = _reserve(cursor, tables[0])
            self.next_visit = _reserve(cursor, tables[1])
            self.next_activity = _reserve(cursor, tables[2])
            self.uuid_high = _uuid_prefix(self.scale_name, self.seed)
            self.visit_index = 0
            for unit in units:
                self._unit_rows(unit, households, visits, activities)
                if visits.rows >= 100_000:
                    for buffer in (households, visits, activities):
                        buffer.flush(cursor)
                    self.say("households, visits, activities", households.total + visits.total + activities.total)
            for buffer in (households, visits, activities):
                buffer.flush(cursor)
            _set_sequence(cursor, tables[0], self.next_household - 1)
            _set_sequence(cursor, tables[1], self.next_visit - 1)
            _set_sequence(cursor, tables[2], self.next_activity - 1)
        self.counts.update(households=households.total, visits=visits.total, activities=activities.total)
        self.say("households", households.total)
        self.say("visits", visits.total)
        self.say("visit activities", activities.total)

    def _unit_rows(self, unit: Unit, households: CopyBuffer, visits: CopyBuffer, activities: CopyBuffer) -> None:
        """Write one hamlet's households and visits (or a commune team's one-stop-desk visits) to the buffers."""
        rng = random.Random(f"{self.seed}:rows:{unit.commune.code}:{unit.number}")
        hh_ids: list[int] = []
        hh_sizes: list[int] = []
        hh_cum: list[float] = []
        if unit.number:
            write = households.buffer.write
            created = f"{self.day_text[0]} 08:00:00+07"
            total = 0.0
            house = 0
            for n in range(1, unit.households + 1):
                gender = Gender.MALE if rng.random() < 0.72 else Gender.FEMALE
                categories = [c for c, share in CATEGORIES.items() if rng.random() < share]
                size = min(7, max(1, round(rng.gauss(3.6, 1.4))))
                if rng.random() < 0.03:
                    categories.append("elderly_alone")
                    size = 1
                poor = "poor" in categories or "near_poor" in categories
                smartphone = rng.random() < (0.3 if "elderly_alone" in categories else 0.45 if poor else 0.8)
                consent = rng.random() < 0.45
                phone = mobile_phone(rng) if consent and rng.random() < 0.9 else ""
                consent_at = f"{random_day(rng, self.days[0], self.end).isoformat()} 09:00:00+07" if consent else r"\N"
                house += rng.randint(1, 12)
                address = f"{rng.choice(STREET_KINDS)} {house}, tổ {1 + n // 40}, {unit.name}"
                hh_id = self.next_household
                self.next_household += 1
                write(
                    f"{hh_id}\t{unit.area_id}\t{unit.commune.code}-{unit.number:02d}-{n:04d}\t"
                    f"{person_name(rng, gender)}\t{address}\t{size}\t{phone}\t{'t' if consent else 'f'}\t"
                    f"{consent_at}\t{{{','.join(categories)}}}\t{'t' if smartphone else 'f'}\tf\tf\tf\t"
                    f"{created}\t{created}\n"
                )
                hh_ids.append(hh_id)
                hh_sizes.append(size)
                if rng.random() >= 0.1:  # about one household in ten is never visited
                    total += rng.expovariate(1.0) + 0.2 + (0.5 if poor else 0)
                hh_cum.append(total)
            households.rows += unit.households
            if total == 0:
                return
        if not unit.visits:
            return
        first = max(unit.established_on, self.days[0])
        last = min(unit.last_active or self.end, self.end)
        lo = (first - self.days[0]).days
        hi = (last - self.days[0]).days + 1
        if hi <= lo:
            return
        base = self.day_cum[lo - 1] if lo else 0.0
        day_idx = sorted(
            bisect_right(self.day_cum, base + rng.random() * (self.day_cum[hi - 1] - base), lo, hi - 1)
            for _ in range(unit.visits)
        )
        members = rng.choices(unit.member_ids, cum_weights=unit.member_weights, k=unit.visits)
        n_activities = rng.choices((1, 2, 3), cum_weights=(76, 96, 100), k=unit.visits)
        if unit.number:
            picked = rng.choices(range(len(hh_ids)), cum_weights=hh_cum, k=unit.visits)
            channels = CHANNEL_PICK.many(rng, unit.visits)
        write_visit = visits.buffer.write
        write_activity = activities.buffer.write
        pick_activity = self.activity_pick
        high = f"{self.uuid_high:016x}"
        for i in range(unit.visits):
            visit_id = self.next_visit
            self.next_visit += 1
            day = self.day_text[day_idx[i]]
            if unit.number:
                h = picked[i]
                household, area, channel, size = str(hh_ids[h]), unit.area_id, channels[i], hh_sizes[h]
            else:
                household, area, channel, size = r"\N", unit.area_id, Channel.ONE_STOP_DESK.value, 3
            codes = [pick_activity.one(rng)]
            while len(codes) < n_activities[i]:
                code = pick_activity.one(rng)
                if code not in codes:
                    codes.append(code)
            note = rng.choice(OTHER_NOTES) if self.other_type in codes else ""
            write_visit(
                f"{visit_id}\t{high}{0x8000000000000000 | self.visit_index:016x}\t{household}\t{area}\t"
                f"{unit.team_id}\t{members[i]}\t{day}\t{channel}\t{note}\t\\N\t"
                f"{day} {7 + self.visit_index % 12:02d}:{self.visit_index % 60:02d}:00+07\n"
            )
            self.visit_index += 1
            for code in codes:
                quantity = 1
                roll = rng.random()
                if channel == Channel.COMMUNITY_SESSION:
                    quantity = 1 + int(roll * 4)
                elif roll > 0.72:
                    quantity = 2 if roll < 0.92 else 3
                write_activity(f"{self.next_activity}\t{visit_id}\t{code}\t{min(quantity, size)}\n")
                self.next_activity += 1
            activities.rows += len(codes)
        visits.rows += unit.visits

    def _set_flags(self, units: list[Unit]) -> None:
        """Each household's has_* flags from its visits' activities, following ActivityType.household_flag."""
        flags = [flag.value for flag in HouseholdFlag]
        aggregates = ", ".join(f"bool_or(t.household_flag = %s) AS {flag}" for flag in flags)
        assignments = ", ".join(f"{flag} = f.{flag}" for flag in flags)
        hamlet_ids = [u.area_id for u in units if u.number]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE households_household h SET {assignments}
                FROM (
                    SELECT v.household_id, {aggregates}
                    FROM households_visit v
                    JOIN households_visitactivity va ON va.visit_id = v.id
                    JOIN households_activitytype t ON t.id = va.activity_type_id
                    WHERE t.household_flag <> '' AND v.area_id = ANY(%s) AND v.household_id IS NOT NULL
                    GROUP BY v.household_id
                ) f
                WHERE h.id = f.household_id
                """,
                [*flags, hamlet_ids],
            )
            self.counts["households_flagged"] = cursor.rowcount
            self.say("household flags", cursor.rowcount)
            # Fresh planner statistics for every table written: with none, PostgreSQL guesses one row per table and
            # picks nested loops that made the province dashboard 30 times slower.
            cursor.execute(
                "ANALYZE areas_area, teams_team, members_member, households_household, households_visit, "
                "households_visitactivity"
            )


def demo_delete(*, log: Log = lambda message: None) -> dict[str, int]:
    """Delete every generated data set: visits, households, members, teams and hamlets (audit triggers off)."""
    with audit.triggers_skipped(*_AUDITED), transaction.atomic(), _bulk_transaction():
        return _delete(time.monotonic(), log)


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


def _delete(started: float, log: Log) -> dict[str, int]:
    team_ids = list(generated_teams().values_list("pk", flat=True))
    hamlet_ids = list(
        Area.objects.filter(level=Level.HAMLET, teams__pk__in=team_ids).values_list("pk", flat=True).distinct()
    )
    counts: dict[str, int] = {}
    if not team_ids:
        return counts
    try:
        # A savepoint, so that a failure is rolled back before pgtrigger.ignore (outside) resets its setting.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                CREATE TEMP TABLE demo_visit ON COMMIT DROP AS SELECT id FROM households_visit
                WHERE team_id = ANY(%s) OR household_id IN (SELECT id FROM households_household WHERE area_id = ANY(%s))
                """,
                [team_ids, hamlet_ids],
            )
            statements = [
                ("visit activities", "DELETE FROM households_visitactivity WHERE visit_id IN (TABLE demo_visit)", []),
                ("visits", "DELETE FROM households_visit WHERE id IN (TABLE demo_visit)", []),
                ("households", "DELETE FROM households_household WHERE area_id = ANY(%s)", [hamlet_ids]),
            ]  # fmt: skip
            for label, sql, params in statements:  # positional parameters: pgtrigger.ignore prepends one of its own
                cursor.execute(sql, params)
                counts[label] = cursor.rowcount
                log(f"deleted {label}: {cursor.rowcount:,} rows, {time.monotonic() - started:.1f} s")
            cursor.execute("DROP TABLE demo_visit")
            # The few thousand rows left go through the ORM, so other apps' relations are honoured (PROTECT raises).
            for label, queryset in (
                ("members", Member.objects.filter(team_id__in=team_ids)),
                ("teams", Team.objects.filter(pk__in=team_ids)),
                ("hamlets", Area.objects.filter(pk__in=hamlet_ids)),
            ):
                _, per_model = queryset.delete()
                counts[label] = sum(per_model.values())
                log(f"deleted {label}: {counts[label]:,} rows, {time.monotonic() - started:.1f} s")
    except ProtectedError as error:
        raise DemoError(f"The generated data set cannot be deleted: {error.args[0]}") from error
    except DatabaseError as error:
        raise DemoError(f"The generated data set cannot be deleted: {error}") from error
    return counts


def demo_generate(
    *,
    scale: str,
    seed: int = 1,
    end: date,
    factor: float | None = None,
    reset: bool = False,
    log: Log = lambda message: None,
) -> Result:
    """Generate a data set in one transaction; refuses when one exists unless ``reset`` (which deletes it first)."""
    if scale not in SCALES:
        raise DemoError(f"Unknown scale {scale!r}: choose one of {', '.join(SCALES)}.")
    started = time.monotonic()
    with audit.triggers_skipped(*_AUDITED), transaction.atomic(), _bulk_transaction():
        existing = existing_sets()
        if existing and not reset:
            found = "; ".join(f"{text} ({n} teams)" for text, n in existing)
            raise DemoError(
                f"A generated data set already exists: {found}. Run again with --reset to delete it and generate "
                "the new one."
            )
        if existing:
            _delete(started, log)
        counts = Generator(scale=scale, seed=seed, end=end, factor=factor, log=log).run()
    return Result(scale=scale, seed=seed, counts=counts, seconds=time.monotonic() - started)
