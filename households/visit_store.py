"""The visits' SQL: the look-ups of a batch and the statement that stores it, each a named function.

A single visit is the portal's hottest write. Its look-ups and its insert are plain statements, prepared once per
database session (``cnscd.db.execute_prepared``) rather than ORM queries, and a batch of 500 costs the same number
of statements as one visit. The unique constraint on ``client_uuid`` — not a check-then-insert — is what makes ten
concurrent sends of the same visit store one row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from areas.models import Area
from cnscd.db import columns, execute_prepared, execute_prepared_together, instances
from households import flags
from households.models import Household
from households.visit_rules import VisitData
from members.models import Member
from teams.models import Team

CREATED, DUPLICATE, CONFLICT = "created", "duplicate", "conflict"


# --- Statements -------------------------------------------------------------------------------------------------


def households_statement() -> str:
    """A visit needs a household's id and hamlet only: no timestamps to parse per row."""
    return "SELECT h.id, h.area_id FROM households_household h WHERE h.id = ANY($1::bigint[])"


def hamlets_statement() -> str:
    """The hamlets of those households, once each."""
    return (
        f"SELECT {columns(Area, 'a')} FROM areas_area a "
        "WHERE a.id IN (SELECT h.area_id FROM households_household h WHERE h.id = ANY($1::bigint[]))"
    )


def areas_statement() -> str:
    return f"SELECT {columns(Area, 'a')} FROM areas_area a WHERE a.id = ANY($1::bigint[])"


def members_statement() -> str:
    """The members named and the user's own roster entries, each with its team and the team's area.

    The team and its area are read per member row (LATERAL … OFFSET 0): the generic plan of a prepared statement
    guesses ten members for any array and would hash-join them with a scan of every team.
    """
    return (
        f"SELECT {columns(Member, 'm')}, ta.* FROM members_member m CROSS JOIN LATERAL ("
        f"SELECT {columns(Team, 't')}, {columns(Area, 'a')} FROM teams_team t JOIN areas_area a ON a.id = t.area_id "
        "WHERE t.id = m.team_id OFFSET 0) ta "
        "WHERE m.id = ANY($1::bigint[]) OR m.user_id = $2::bigint ORDER BY m.id"
    )


def stored_statement() -> str:
    """Visits already stored under these client_uuids, with their content (``_stored_content``)."""
    return (
        "SELECT v.client_uuid, v.id, v.household_id, v.area_id, v.team_id, v.member_id, v.date, v.channel, "
        "v.note, a.codes, a.quantities FROM households_visit v CROSS JOIN LATERAL ("
        "SELECT array_agg(t.code) AS codes, array_agg(va.quantity) AS quantities "
        "FROM households_visitactivity va JOIN households_activitytype t ON t.id = va.activity_type_id "
        "WHERE va.visit_id = v.id) a WHERE v.client_uuid = ANY($1::uuid[])"
    )


def store_statement() -> str:
    """The visits (``ON CONFLICT (client_uuid) DO NOTHING``), the activities of those it created in the order they
    were given, and the household flags those activities prove (``households.flags``), in one statement."""
    proved_by_new = """
        SELECT new.household_id, t.household_flag
        FROM new
        JOIN unnest($11::uuid[], $12::bigint[]) AS y(u, t) ON y.u = new.client_uuid
        JOIN households_activitytype t ON t.id = y.t
        WHERE t.household_flag <> '' AND new.household_id IS NOT NULL
    """
    return f"""
        WITH new AS (
            INSERT INTO households_visit (client_uuid, household_id, area_id, team_id, member_id, date, channel, note,
                                          created_by_id, created_at)
            SELECT u, h, a, t, m, d, c, n, $1::bigint, $2::timestamptz
            FROM unnest($3::uuid[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::date[], $9::varchar[],
                        $10::text[]) AS x(u, h, a, t, m, d, c, n)
            ON CONFLICT (client_uuid) DO NOTHING
            RETURNING id, client_uuid, household_id
        ), activities AS (
            INSERT INTO households_visitactivity (visit_id, activity_type_id, quantity)
            SELECT new.id, y.t, y.q
            FROM unnest($11::uuid[], $12::bigint[], $13::integer[]) WITH ORDINALITY AS y(u, t, q, i)
            JOIN new ON new.client_uuid = y.u
            ORDER BY y.i
        ), flagged AS ({flags.turned_on(proved_by_new)})
        SELECT id, client_uuid FROM new
    """


def _array(values: Iterable) -> str:
    """A PostgreSQL array literal of values whose text never needs quoting: UUIDs, integers, dates and channel codes
    (None is NULL). The driver quotes a list element by element, which was a fifth of a bulk sync's Python time."""
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def _ids(values: Iterable) -> list[int]:
    """Ids a bigint column can hold (the ORM answers "no such row" for the others; so do we)."""
    return sorted(v for v in set(values) if -(2**63) <= v < 2**63)


# --- Look-ups ---------------------------------------------------------------------------------------------------


@dataclass
class Rows:
    """The rows a batch's ids name, before the scope is applied: (household id, hamlet id), hamlets, areas, and
    members (each with its team and the team's area)."""

    households: list[tuple[int, int]]
    hamlets: list[Area]
    areas: list[Area]
    members: list[Member] | None  # None: not read (no member named, the user's roster already known)


def visit_rows(*, household_ids: set, area_ids: set, member_ids: set, user_id: int, roster: bool) -> Rows:
    """Up to four look-ups sent together, in one round trip; ``roster``: also the user's own roster entries."""
    statements = []
    if household_ids:
        households = _array(_ids(household_ids))
        statements += [
            ("cnscd_visit_households", households_statement, [households]),
            ("cnscd_visit_hamlets", hamlets_statement, [households]),
        ]
    if area_ids:
        statements.append(("cnscd_visit_areas", areas_statement, [_ids(area_ids)]))
    if member_ids or roster:
        statements.append(("cnscd_visit_members", members_statement, [_ids(member_ids), user_id]))
    results: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        if statements:
            execute_prepared_together(cursor, statements, reads_only=True)
        for position, (name, _statement, _params) in enumerate(statements):
            if position:
                cursor.nextset()
            results[name] = cursor.fetchall()
    return Rows(
        households=results.get("cnscd_visit_households", []),
        hamlets=[instances(row, Area)[0] for row in results.get("cnscd_visit_hamlets", [])],
        areas=[instances(row, Area)[0] for row in results.get("cnscd_visit_areas", [])],
        members=[_member(row) for row in results["cnscd_visit_members"]] if "cnscd_visit_members" in results else None,
    )


def _member(row: tuple) -> Member:
    member, team, area = instances(row, Member, Team, Area)
    team.area = area
    member.team = team
    return member


def household_stub(household_id: int, area: Area) -> Household:
    """The household a visit needs (its id and hamlet), without reading the rest of its row."""
    household = Household.from_db(connection.alias, ["id", "area_id"], (household_id, area.pk))
    household.area = area
    return household


# --- Store ------------------------------------------------------------------------------------------------------


def visits_store(*, acting_user, visits: list[VisitData]) -> list[tuple[str, int | None]]:
    """Store checked visits in the caller's transaction; returns (created|duplicate|conflict, id) per visit, in order.

    Rows are inserted sorted by client_uuid so two overlapping batches cannot deadlock. A client_uuid already
    stored, or repeated in the batch, is a duplicate when its content is the same and a conflict otherwise.
    """
    first: dict[uuid.UUID, int] = {}
    for index, visit in enumerate(visits):
        first.setdefault(visit.client_uuid, index)
    now = timezone.now()
    created = _insert(acting_user=acting_user, visits=[visits[i] for i in first.values()], now=now)
    for key, visit_id in created.items():
        visits[first[key]].id, visits[first[key]].created_at = visit_id, now
    missing = [v.client_uuid for v in visits if v.client_uuid not in created]
    existing = _stored(missing) if missing else {}
    results: list[tuple[str, int | None]] = []
    for index, visit in enumerate(visits):
        if visit.client_uuid in created and first[visit.client_uuid] == index:
            results.append((CREATED, visit.id))
            continue
        if visit.client_uuid in created:  # a repeat inside the same batch
            stored_id, stored_content = created[visit.client_uuid], visits[first[visit.client_uuid]].content()
        else:
            stored_id, stored_content = existing[visit.client_uuid]
        if stored_content == visit.content():
            visit.id = stored_id
            results.append((DUPLICATE, stored_id))
        else:
            results.append((CONFLICT, stored_id))
    return results


def _insert(*, acting_user, visits: list[VisitData], now) -> dict[uuid.UUID, int]:
    """Run ``store_statement`` for visits of distinct client_uuids; returns {client_uuid: id} of those created."""
    text = {id(v): str(v.client_uuid) for v in visits}  # each UUID turned into text once
    ordered = sorted(visits, key=lambda v: text[id(v)])
    activity_uuids, activity_types, quantities = [], [], []
    for visit in ordered:
        for code, quantity in visit.activities.items():
            activity_uuids.append(text[id(visit)])
            activity_types.append(visit.types[code].pk)
            quantities.append(quantity)
    params = [
        acting_user.pk if acting_user is not None else None,
        now,
        _array(text[id(v)] for v in ordered),
        _array(v.household.pk if v.household else None for v in ordered),
        _array(v.area.pk for v in ordered),
        _array(v.member.team_id for v in ordered),
        _array(v.member.pk for v in ordered),
        _array(v.date for v in ordered),
        _array(v.channel for v in ordered),
        [v.note for v in ordered],  # free text: the driver quotes it
        _array(activity_uuids),
        _array(activity_types),
        _array(quantities),
    ]
    with connection.cursor() as cursor:
        execute_prepared(cursor, "cnscd_visits_store", store_statement, params)
        return {row[1]: row[0] for row in cursor.fetchall()}


def _stored(client_uuids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, tuple]]:
    """{client_uuid: (id, content)} of the visits already stored under these client_uuids."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, "cnscd_visit_stored", stored_statement, [_array(client_uuids)], reads_only=True)
        return {row[0]: (row[1], _stored_content(row)) for row in cursor.fetchall()}


def _stored_content(row: tuple) -> tuple:
    """``VisitData.content()`` of a stored visit, from a row of ``stored_statement``."""
    _client_uuid, _id, household_id, area_id, team_id, member_id, day, channel, note, codes, quantities = row
    activities = tuple(sorted(zip(codes or (), quantities or (), strict=True)))
    return (household_id, area_id, team_id, member_id, day, channel, note, activities)
