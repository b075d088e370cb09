"""The household flags rule, written once: a household has a digital status (``HouseholdFlag``: an online
public-service account, cashless payment, a level-2 VNeID) when one of its visits has an activity whose type proves
it (``ActivityType.household_flag``).

Every writer of the flags builds its SQL from here: a visit stored (``visit_store``: the flags its activities prove
turn on, in the statement that inserts it), a visit deleted (``services.household_flags_refresh``: the flags
recomputed from the visits that remain), generated demo data (``turned_on(stored(...))`` over its hamlets). The flag
columns are the values of ``HouseholdFlag``; nothing else names them in SQL.
"""

from __future__ import annotations

from households.models import HouseholdFlag

FLAGS = [flag.value for flag in HouseholdFlag]


def stored(where: str = "TRUE") -> str:
    """A query of (household_id, flag): the flags the activities of the stored visits matching ``where`` prove."""
    return f"""
        SELECT v.household_id, t.household_flag
        FROM households_visit v
        JOIN households_visitactivity va ON va.visit_id = v.id
        JOIN households_activitytype t ON t.id = va.activity_type_id
        WHERE t.household_flag <> '' AND v.household_id IS NOT NULL AND ({where})
    """


def proved(pairs: str) -> str:
    """A query of (household_id, one boolean per flag): whether the (household_id, flag) rows of ``pairs`` prove
    each flag of the household."""
    aggregates = ", ".join(f"bool_or(p.flag = '{flag}') AS {flag}" for flag in FLAGS)
    return f"SELECT p.household_id, {aggregates} FROM ({pairs}) AS p(household_id, flag) GROUP BY p.household_id"


def turned_on(pairs: str) -> str:
    """An UPDATE turning on the flags that ``pairs`` prove (visits added: a flag only goes from false to true).

    Only the households that gain a flag are written, so a household already flagged gets no audit event.
    """
    sets = ", ".join(f"{flag} = h.{flag} OR f.{flag}" for flag in FLAGS)
    gains = " OR ".join(f"(f.{flag} AND NOT h.{flag})" for flag in FLAGS)
    return f"""
        UPDATE households_household h SET {sets}
        FROM ({proved(pairs)}) f
        WHERE h.id = f.household_id AND ({gains})
    """


def _recomputed() -> str:
    sets = ", ".join(f"{flag} = coalesce(f.{flag}, false)" for flag in FLAGS)
    old = ", ".join(f"h.{flag}" for flag in FLAGS)
    new = ", ".join(f"coalesce(f.{flag}, false)" for flag in FLAGS)
    return f"""
        UPDATE households_household h SET {sets}
        FROM unnest(%(ids)s::bigint[]) AS s(id)
        LEFT JOIN ({proved(stored("v.household_id = ANY(%(ids)s::bigint[])"))}) f ON f.household_id = s.id
        WHERE h.id = s.id AND ({old}) IS DISTINCT FROM ({new})
    """


# The flags of the households ``%(ids)s`` recomputed from the visits they have (after a visit is removed); only a
# household whose flags change is written.
RECOMPUTED = _recomputed()
