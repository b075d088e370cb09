"""One data set, generated: the plan of every commune, then its rows, table by table.

Built on the real units of the former Long An province (legacy structure, code 80): hamlets are added under its
communes, with one active team per hamlet (and a commune-level team in every ward and township and in about one
rural commune in seven, which helps people at the commune's one-stop desk: those visits have no household and the
commune as their area), rosters, households and two years of visits ending on ``end`` (today).

The hamlets take their communes' validity (until 30/06/2025), as ``areas.services.hamlet_create`` does; run
``manage.py apply_reorganization`` afterwards to move them, with everything recorded under them, to today's
communes.

Speed and memory: hamlets, teams and members (a few thousand rows) go through ``bulk_create``; households, visits
and visit activities are written as COPY text (``demo.copy``), hamlet by hamlet, flushed in chunks of about 100,000
visits, the three tables locked against other writers for the duration. The households' derived flags are set
afterwards with one ``UPDATE … FROM`` that follows ``ActivityType.household_flag``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

from django.db import connection

from areas.models import Area, Level, Structure, rebuild_paths
from demo import builders
from demo.copy import reserve, set_sequence
from demo.names import Picker
from demo.plan import DAYS, SCALES, DemoError, Unit, communes_for, day_weights, marker, plan_commune
from demo.rows import ACTIVITY_WEIGHTS, Calendar, UnitRows, uuid_prefix
from households import flags
from households.models import ActivityType
from members.models import Member
from teams.models import Team

Log = Callable[[str], None]
TABLES = ("households_household", "households_visit", "households_visitactivity")


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
        writer = self._unit_rows()
        units = self._plan(communes)
        self._create_hamlets(units)
        self._create_teams(units)
        self._create_members(units)
        self._load_households_and_visits(units, writer)
        self._set_flags(units)
        return self.counts

    def _unit_rows(self) -> UnitRows:
        """The COPY writer, with the activity catalogue and the two years of days its visits are drawn from."""
        types = {
            t.code: (t.pk, t.household_flag) for t in ActivityType.objects.filter(active=True).order_by("order", "code")
        }
        if not types:
            raise DemoError("The activity catalogue is empty (households migrations not applied?).")
        days, weights = day_weights(self.end - timedelta(days=DAYS - 1), self.end)
        return UnitRows(
            seed=self.seed,
            end=self.end,
            calendar=Calendar.of(days, weights),
            activity_pick=Picker({pk: ACTIVITY_WEIGHTS.get(code, 1) for code, (pk, _) in types.items()}),
            other_type=types.get("other", (None,))[0],
            uuid_high=uuid_prefix(self.scale_name, self.seed),
        )

    def _plan(self, communes: list[Area]) -> list[Unit]:
        """Every commune's units; hamlet names already taken in a commune are not given again."""
        province_codes = dict(
            Area.objects.filter(structure=Structure.LEGACY, level=Level.PROVINCE).values_list("pk", "code")
        )
        taken: dict[int, set[str]] = {}
        for parent_id, name in Area.objects.filter(level=Level.HAMLET, parent__in=communes).values_list(
            "parent_id", "name"
        ):
            taken.setdefault(parent_id, set()).add(name.lower())
        return [
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

    def _create_hamlets(self, units: list[Unit]) -> None:
        in_hamlets = [u for u in units if u.number]
        hamlets = [builders.hamlet(u) for u in in_hamlets]
        Area.objects.bulk_create(hamlets, batch_size=2000)
        rebuild_paths()
        for unit, hamlet in zip(in_hamlets, hamlets, strict=True):
            unit.area_id = hamlet.pk
        for unit in units:
            if not unit.number:
                unit.area_id = unit.commune.pk
        self.counts["hamlets"] = len(hamlets)
        self.say("hamlets", len(hamlets))

    def _create_teams(self, units: list[Unit]) -> None:
        note = marker(self.scale_name, self.seed)
        teams = [builders.team(unit, seed=self.seed, note=note) for unit in units]
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
            roster, unit.member_weights = builders.roster(
                unit, seed=self.seed, end=self.end, phones=phones, hashes=hashes
            )
            members += roster
            owners += [unit] * len(roster)
        Member.objects.bulk_create(members, batch_size=2000)
        for unit, member in zip(owners, members, strict=True):
            unit.member_ids.append(member.pk)
        self.counts["members"] = len(members)
        self.say("members", len(members))

    def _load_households_and_visits(self, units: list[Unit], writer: UnitRows) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")
            writer.next_household, writer.next_visit, writer.next_activity = (reserve(cursor, t) for t in TABLES)
            for unit in units:
                writer.write(unit)
                if writer.visits.rows >= 100_000:
                    for buffer in writer.buffers:
                        buffer.flush(cursor)
                    self.say("households, visits, activities", sum(b.total for b in writer.buffers))
            for buffer in writer.buffers:
                buffer.flush(cursor)
            next_ids = (writer.next_household, writer.next_visit, writer.next_activity)
            for table, next_id in zip(TABLES, next_ids, strict=True):
                set_sequence(cursor, table, next_id - 1)
        households, visits, activities = (b.total for b in writer.buffers)
        self.counts.update(households=households, visits=visits, activities=activities)
        self.say("households", households)
        self.say("visits", visits)
        self.say("visit activities", activities)

    def _set_flags(self, units: list[Unit]) -> None:
        """Each household's has_* flags from its visits' activities: the one rule of ``households.flags``."""
        hamlet_ids = [u.area_id for u in units if u.number]
        with connection.cursor() as cursor:
            cursor.execute(flags.turned_on(flags.stored("v.area_id = ANY(%s)")), [hamlet_ids])
            self.counts["households_flagged"] = cursor.rowcount
            self.say("household flags", cursor.rowcount)
            # Fresh planner statistics for every table written: with none, PostgreSQL guesses one row per table and
            # picks nested loops that made the province dashboard 30 times slower.
            cursor.execute(
                "ANALYZE areas_area, teams_team, members_member, households_household, households_visit, "
                "households_visitactivity"
            )
