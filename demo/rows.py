"""Households, visits and visit activities of the demo data as COPY text, unit after unit.

Each unit draws from a generator seeded with the data set's seed and the unit's commune code and number, so its
rows do not depend on the units written before it; ids are counted on from the ones reserved from the sequences.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from demo.copy import CopyBuffer
from demo.names import OTHER_NOTES, STREET_KINDS, Picker, mobile_phone, person_name, random_day
from demo.plan import MARKER, Unit
from households.models import Channel
from members.models import Gender

ACTIVITY_WEIGHTS = dict(
    dvctt_account=16, dvctt_application=12, cashless_account=13, cashless_payment=10, vneid_activation=17,
    ecommerce=4, health_app=8, cybersafety=7, local_platform=6, zalo_group=5, other=2,
)  # fmt: skip
CHANNEL_PICK = Picker(
    {Channel.DOOR_TO_DOOR: 86, Channel.COMMUNITY_SESSION: 7, Channel.ONLINE: 5, Channel.ONE_STOP_DESK: 2}
)
CATEGORIES = dict(poor=0.025, near_poor=0.035, policy=0.06, ethnic_minority=0.01)  # elderly_alone: see below


def uuid_prefix(scale: str, seed: int) -> int:
    """The high 64 bits of the data set's visit client_uuids, the same for the same scale and seed."""
    high = int.from_bytes(hashlib.sha256(f"{MARKER}:{scale}:{seed}".encode()).digest()[:8], "big")
    return (high & ~0xF000) | 0x8000  # version 8 (custom) in the UUID's version nibble


@dataclass
class Calendar:
    """The two years of visits: the days, their COPY text, and the cumulative weights a visit's day is drawn by."""

    days: list[date]
    text: list[str]
    cum: list[float]

    @classmethod
    def of(cls, days: list[date], weights: list[float]) -> Calendar:
        return cls(days=days, text=[d.isoformat() for d in days], cum=list(accumulate(weights)))


class UnitRows:
    """Households, visits and visit activities of one unit after another, as COPY text with ids counted on from
    the reserved ones."""

    def __init__(self, *, seed: int, end: date, calendar: Calendar, activity_pick: Picker, other_type, uuid_high: int):
        self.seed, self.end, self.calendar = seed, end, calendar
        self.activity_pick, self.other_type, self.uuid_high = activity_pick, other_type, uuid_high
        self.households = CopyBuffer(
            "households_household",
            "id, area_id, code, head_name, address, size, phone, consent_given, consent_recorded_at, categories, "
            "has_smartphone, has_dvctt_account, has_cashless, has_vneid, created_at, updated_at",
        )
        self.visits = CopyBuffer(
            "households_visit",
            "id, client_uuid, household_id, area_id, team_id, member_id, date, channel, note, created_by_id, "
            "created_at",
        )
        self.activities = CopyBuffer("households_visitactivity", "id, visit_id, activity_type_id, quantity")
        self.next_household = self.next_visit = self.next_activity = 0
        self.visit_index = 0

    @property
    def buffers(self) -> tuple[CopyBuffer, CopyBuffer, CopyBuffer]:
        return self.households, self.visits, self.activities

    def write(self, unit: Unit) -> None:
        """One hamlet's households and visits (or a commune team's one-stop-desk visits)."""
        rng = random.Random(f"{self.seed}:rows:{unit.commune.code}:{unit.number}")
        homes: tuple[list[int], list[int], list[float]] = ([], [], [])
        if unit.number:
            homes = self._households(rng, unit)
            if not homes[2] or homes[2][-1] == 0:  # no household to visit
                return
        if unit.visits:
            self._visits(rng, unit, homes)

    def _households(self, rng: random.Random, unit: Unit) -> tuple[list[int], list[int], list[float]]:
        """Write the hamlet's households; their ids, sizes and the cumulative weights visits pick them by."""
        write = self.households.buffer.write
        created = f"{self.calendar.text[0]} 08:00:00+07"
        first_day = self.calendar.days[0]
        ids, sizes, cum = [], [], []
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
            consent_at = f"{random_day(rng, first_day, self.end).isoformat()} 09:00:00+07" if consent else r"\N"
            house += rng.randint(1, 12)
            address = f"{rng.choice(STREET_KINDS)} {house}, tổ {1 + n // 40}, {unit.name}"
            write(
                f"{self.next_household}\t{unit.area_id}\t{unit.commune.code}-{unit.number:02d}-{n:04d}\t"
                f"{person_name(rng, gender)}\t{address}\t{size}\t{phone}\t{'t' if consent else 'f'}\t"
                f"{consent_at}\t{{{','.join(categories)}}}\t{'t' if smartphone else 'f'}\tf\tf\tf\t"
                f"{created}\t{created}\n"
            )
            ids.append(self.next_household)
            self.next_household += 1
            sizes.append(size)
            if rng.random() >= 0.1:  # about one household in ten is never visited
                total += rng.expovariate(1.0) + 0.2 + (0.5 if poor else 0)
            cum.append(total)
        self.households.rows += unit.households
        return ids, sizes, cum

    def _visit_days(self, rng: random.Random, unit: Unit) -> list[int]:
        """The unit's visit days (indexes into the calendar, sorted), between its founding and its last activity."""
        days, cum = self.calendar.days, self.calendar.cum
        first = max(unit.established_on, days[0])
        last = min(unit.last_active or self.end, self.end)
        lo = (first - days[0]).days
        hi = (last - days[0]).days + 1
        if hi <= lo:
            return []
        base = cum[lo - 1] if lo else 0.0
        return sorted(
            bisect_right(cum, base + rng.random() * (cum[hi - 1] - base), lo, hi - 1) for _ in range(unit.visits)
        )

    def _visits(self, rng: random.Random, unit: Unit, homes: tuple[list[int], list[int], list[float]]) -> None:
        day_idx = self._visit_days(rng, unit)
        if not day_idx:
            return
        members = rng.choices(unit.member_ids, cum_weights=unit.member_weights, k=unit.visits)
        n_activities = rng.choices((1, 2, 3), cum_weights=(76, 96, 100), k=unit.visits)
        if unit.number:
            hh_ids, hh_sizes, hh_cum = homes
            picked = rng.choices(range(len(hh_ids)), cum_weights=hh_cum, k=unit.visits)
            channels = CHANNEL_PICK.many(rng, unit.visits)
        write_visit = self.visits.buffer.write
        high = f"{self.uuid_high:016x}"
        for i in range(unit.visits):
            visit_id = self.next_visit
            self.next_visit += 1
            day = self.calendar.text[day_idx[i]]
            if unit.number:
                h = picked[i]
                household, channel, size = str(hh_ids[h]), channels[i], hh_sizes[h]
            else:
                household, channel, size = r"\N", Channel.ONE_STOP_DESK.value, 3
            codes = self._activity_codes(rng, n_activities[i])
            note = rng.choice(OTHER_NOTES) if self.other_type in codes else ""
            write_visit(
                f"{visit_id}\t{high}{0x8000000000000000 | self.visit_index:016x}\t{household}\t{unit.area_id}\t"
                f"{unit.team_id}\t{members[i]}\t{day}\t{channel}\t{note}\t\\N\t"
                f"{day} {7 + self.visit_index % 12:02d}:{self.visit_index % 60:02d}:00+07\n"
            )
            self.visit_index += 1
            self._activity_rows(rng, visit_id, codes, channel=channel, size=size)
        self.visits.rows += unit.visits

    def _activity_codes(self, rng: random.Random, n: int) -> list:
        """``n`` different activity types (their ids), drawn by ``ACTIVITY_WEIGHTS``."""
        codes = [self.activity_pick.one(rng)]
        while len(codes) < n:
            code = self.activity_pick.one(rng)
            if code not in codes:
                codes.append(code)
        return codes

    def _activity_rows(self, rng: random.Random, visit_id: int, codes: list, *, channel: str, size: int) -> None:
        """A visit's activities: mostly one person helped, a few at a community session; never more than live
        in the household."""
        write = self.activities.buffer.write
        for code in codes:
            quantity = 1
            roll = rng.random()
            if channel == Channel.COMMUNITY_SESSION:
                quantity = 1 + int(roll * 4)
            elif roll > 0.72:
                quantity = 2 if roll < 0.92 else 3
            write(f"{self.next_activity}\t{visit_id}\t{code}\t{min(quantity, size)}\n")
            self.next_activity += 1
        self.activities.rows += len(codes)
