"""Writes on visits: one visit (the API, the mobile page), a batch from an offline phone, a deletion.

Each runs the same three steps in one transaction: resolve the ids a client sent (``visits_resolve``: the rows
inside the user's scope for logging visits, read by ``households.visit_store``), check the rules
(``households.visit_rules``), store (``visit_store.visits_store``, with the household flags the activities prove).
"""

from __future__ import annotations

import time
import uuid
from datetime import date as Date

from django.db import transaction
from django.utils.translation import gettext as _

from areas.models import Area, Level
from households import services, visit_store
from households.models import ActivityType, Household, Visit
from households.visit_rules import Found, VisitData, in_visit_scope, item_resolved, visit_check, visit_checked
from members.models import Member
from reports.services import rollup_soon_on_commit

CREATED, DUPLICATE, INVALID = visit_store.CREATED, visit_store.DUPLICATE, "invalid"


class VisitConflict(Exception):
    """The client_uuid is already used by a visit with different content."""

    def __init__(self, visit_id: int | None = None):
        super().__init__(visit_id)
        self.visit_id = visit_id


# --- Who logs, with what ----------------------------------------------------------------------------------------

_TYPES_CACHE: dict = {"at": 0.0, "types": {}}
_TYPES_TTL = 30.0


def activity_types() -> dict[str, ActivityType]:
    """The active activity types by code (kept in the process for a few seconds: it is read on every visit)."""
    now = time.monotonic()
    if now - _TYPES_CACHE["at"] > _TYPES_TTL or not _TYPES_CACHE["types"]:
        _TYPES_CACHE["types"] = {t.code: t for t in ActivityType.objects.filter(active=True)}
        _TYPES_CACHE["at"] = now
    return _TYPES_CACHE["types"]


def activity_types_forget() -> None:
    _TYPES_CACHE["at"] = 0.0


def own_members(user) -> list[Member]:
    """The user's active roster entries (a member's login is ``Member.user``), cached per request."""
    cache = user.__dict__
    if "_own_members" not in cache:
        cache["_own_members"] = list(
            Member.objects.filter(user=user, left_on__isnull=True).select_related("team__area").order_by("pk")
        )
    return cache["_own_members"]


# --- Resolve ----------------------------------------------------------------------------------------------------


def visits_resolve(*, acting_user, items: list[dict]) -> list[dict]:
    """Turn the ids of shape-valid items into objects, with up to four prepared statements sent together.

    Households, areas and members are looked up inside the user's scope for logging visits, so an id outside
    it reads exactly like an id that does not exist. Each result is either the keyword arguments of
    ``visit_check`` or ``{"errors": {...}}``. The user's own roster entries (``own_members``) come with the
    members' look-up.
    """
    named = {name: {i[name] for i in items if i.get(name) is not None} for name in ("household", "area", "member")}
    cache = acting_user.__dict__
    rows = visit_store.visit_rows(
        household_ids=named["household"],
        area_ids=named["area"],
        member_ids=named["member"],
        user_id=acting_user.pk,
        roster="_former_members" not in cache,
    )
    found = _found(acting_user, rows, named["member"])
    types = activity_types()
    return [item_resolved(item, found, types) for item in items]


def _found(acting_user, rows: visit_store.Rows, member_ids: set) -> Found:
    """The rows inside the user's scope; the user's roster entries cached on the user for the request."""
    cache = acting_user.__dict__
    hamlets = {a.pk: a for a in rows.hamlets if in_visit_scope(acting_user, a)}  # one object per hamlet
    areas, communes = {}, {}
    for area in rows.areas:
        if in_visit_scope(acting_user, area):
            areas[area.pk] = area
        elif area.level == Level.COMMUNE:
            communes[area.pk] = area
    members = {}
    if rows.members is not None:
        own, former = [], []
        for member in rows.members:
            if member.user_id == acting_user.pk:
                (own if member.left_on is None else former).append(member)
            if member.pk in member_ids and in_visit_scope(acting_user, member.team.area):
                members[member.pk] = member
        cache.setdefault("_own_members", own)
        cache.setdefault("_former_members", former)
    households = {
        household_id: visit_store.household_stub(household_id, hamlets[area_id])
        for household_id, area_id in rows.households
        if area_id in hamlets
    }
    mine, former = own_members(acting_user), cache.get("_former_members", [])
    return Found(households=households, areas=areas, communes=communes, members=members, mine=mine, former=former)


# --- Record -----------------------------------------------------------------------------------------------------


@transaction.atomic
def visit_record(
    *,
    member: Member | None,
    household: Household | None,
    area: Area | None,
    date: Date | None,
    channel: str,
    activities: dict[str, int] | list[tuple[str, int]],
    client_uuid: uuid.UUID,
    note: str = "",
    acting_user,
) -> tuple[VisitData, bool]:
    """Record one visit. Returns (visit, created); the same visit sent again returns (stored visit, False).

    Raises Django's ``ValidationError`` when a rule is broken and ``VisitConflict`` when ``client_uuid`` already
    belongs to a visit with different content.
    """
    data = visit_checked(
        acting_user=acting_user,
        member=member,
        household=household,
        area=area,
        date=date,
        channel=channel,
        activities=activities,
        client_uuid=client_uuid,
        note=note,
        types=activity_types(),
    )
    [(status, visit_id)] = visit_store.visits_store(acting_user=acting_user, visits=[data])
    if status == CREATED:
        rollup_soon_on_commit()
    if status == visit_store.CONFLICT:
        raise VisitConflict(visit_id)
    return data, status == CREATED


@transaction.atomic
def visits_record_bulk(*, acting_user, items: list[dict]) -> list[dict]:
    """Record a batch from an offline phone (shape-valid items with ids). One bad item does not stop the others.

    Returns one ``{"index", "status", "id", "errors"}`` per item, in order, ``status`` ∈ created, duplicate,
    invalid (``errors`` only for invalid).
    """
    results: list[dict] = [{} for _item in items]
    ready: list[tuple[int, VisitData]] = []
    for index, resolved in enumerate(visits_resolve(acting_user=acting_user, items=items)):
        if "errors" in resolved:
            data, errors = None, resolved["errors"]
        else:
            data, errors = visit_check(acting_user=acting_user, **resolved)
        if errors:
            results[index] = {"index": index, "status": INVALID, "id": None, "errors": errors}
        else:
            ready.append((index, data))
    if not ready:
        return results
    stored = visit_store.visits_store(acting_user=acting_user, visits=[data for _index, data in ready])
    for (index, _data), (status, visit_id) in zip(ready, stored, strict=True):
        if status == visit_store.CONFLICT:
            conflict = {"client_uuid": [_("This client_uuid is already used by a different visit.")]}
            results[index] = {"index": index, "status": INVALID, "id": None, "errors": conflict}
        else:
            results[index] = {"index": index, "status": status, "id": visit_id}
    if any(status == CREATED for status, _visit_id in stored):
        rollup_soon_on_commit()
    return results


@transaction.atomic
def visit_delete(*, acting_user, visit: Visit) -> None:
    """Remove a visit; its household's flags are recomputed from the visits it still has."""
    household_id = visit.household_id
    visit.delete()
    if household_id:
        services.household_flags_refresh(household_ids=[household_id])
    rollup_soon_on_commit()
