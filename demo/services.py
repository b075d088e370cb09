"""Generate or delete the deterministic demo data sets of ``manage.py generate_demo`` (docs/TARGETS.md, "The
province-scale data set"); each runs in one transaction with the audit triggers skipped (``demo.copy``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from areas.models import Area, Level
from demo.copy import bulk_writes
from demo.generator import Generator, Log
from demo.plan import SCALES, DemoError, existing_sets, generated_teams
from members.models import Member
from teams.models import Team


@dataclass
class Result:
    scale: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


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
    with bulk_writes():
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


def demo_delete(*, log: Log = lambda message: None) -> dict[str, int]:
    """Delete every generated data set: visits, households, members, teams and hamlets (audit triggers off)."""
    with bulk_writes():
        return _delete(time.monotonic(), log)


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
