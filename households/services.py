"""Writes on households and visits.

Every visit goes through ``visit_check`` (the rules of API.md) and ``_visits_store`` (one ``INSERT … ON CONFLICT
(client_uuid) DO NOTHING`` for the whole batch with its activities and the households' derived flags, in one
transaction). The unique constraint on ``client_uuid`` — not a check-then-insert — is what makes ten concurrent
sends of the same visit store one row. A single visit is the portal's hottest write: its look-ups and its insert
are plain statements, prepared once per database session (``cnscd.db.execute_prepared``), rather than ORM queries.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date as Date

import pghistory
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from areas import policy, scoping
from areas.models import Area, Level
from cnscd.db import columns, execute_prepared, execute_prepared_together, instances
from households.models import ActivityType, Channel, ExportLog, Household, HouseholdFlag, Visit
from imports.base import neutralise
from imports.masking import mask_values
from members.models import Member
from reports.services import rollup_soon_on_commit
from teams.models import Team

# Who may do what with households and visits: the access policy's "household" and "visit" rows (areas.policy).
VISIT_WRITERS = policy.roles("visit", "add")

CREATED, DUPLICATE, INVALID = "created", "duplicate", "invalid"
CHANNELS = frozenset(Channel.values)  # the codes, for membership tests on the hot path


# --- Households ---------------------------------------------------------------------------------------------


def household_consent(fields: dict, instance: Household | None) -> dict:
    """Apply the consent rule: a phone only with consent; withdrawing consent erases the phone."""
    consent = fields.get("consent_given", instance.consent_given if instance else False)
    phone = fields.get("phone", instance.phone if instance else "")
    if phone and not consent:
        if "phone" in fields and fields["phone"]:
            raise ValidationError(
                {"phone": [_("A phone number can only be kept when the household has consented; tick the consent.")]}
            )
        fields["phone"] = ""  # consent withdrawn: the number goes with it
    if consent and (instance is None or not instance.consent_given):
        fields["consent_recorded_at"] = timezone.now()
    if not consent:
        fields["consent_recorded_at"] = None
    return fields


CONSENT_WITHDRAWN = "consent_withdrawn"  # the label of the audit event that records a withdrawal


def household_consent_withdrawn(*, acting_user, household_ids: Iterable[int]) -> int:
    """Follow a withdrawal of consent into the audit history, in the caller's transaction.

    The households (their consent is already withdrawn, their phone erased) lose the phone from every event of
    their history, and every copy of those numbers kept in the free text of import reports and export logs is
    masked. Each household gets one ``consent_withdrawn`` event: its row as it now is (no phone), with who and
    when in the audit context, so the history still shows that there was consent and that it was withdrawn.
    Returns the number of event rows scrubbed.
    """
    ids = sorted(set(household_ids))
    if not ids:
        return 0
    event = Household.pgh_event_model
    table = event._meta.db_table
    tracked = ", ".join(f'"{f.column}"' for f in event._meta.concrete_fields if not f.name.startswith("pgh_"))
    with pghistory.context(user=getattr(acting_user, "pk", None)), connection.cursor() as cursor:
        cursor.execute(
            f'SELECT DISTINCT phone FROM "{table}" WHERE pgh_obj_id = ANY(%s) AND phone <> %s', [ids, ""]
        )  # fmt: skip
        numbers = [row[0] for row in cursor.fetchall()]
        cursor.execute(f'UPDATE "{table}" SET phone = %s WHERE pgh_obj_id = ANY(%s) AND phone <> %s', ["", ids, ""])
        scrubbed = cursor.rowcount
        cursor.execute(
            f'WITH context AS (SELECT _pgh_attach_context() AS value) INSERT INTO "{table}" '
            f"({tracked}, pgh_context_id, pgh_created_at, pgh_label, pgh_obj_id) "
            f"SELECT {tracked}, context.value, NOW(), %s, id FROM households_household, context "
            "WHERE id = ANY(%s) AND NOT consent_given",
            [CONSENT_WITHDRAWN, ids],
        )
        _phone_copies_mask(cursor, numbers)
    return scrubbed


# The free text the portal keeps that may hold a phone as typed: import reports (and their audit events), export
# logs' parameters. New rows are masked when stored (imports.masking); this covers the rows stored before.
_PHONE_COPIES = (
    ("imports_importjob", "errors"),
    ("imports_importjobevent", "errors"),
    ("households_exportlog", "params"),
)


def _phone_pattern(number: str) -> str:
    """A PostgreSQL regular expression for ``number`` (``0…``) as it may have been typed: with spaces, dots or
    dashes between its digits, or with +84 / 84 for the leading 0."""
    return r"(\+?84|0)[ .-]?" + r"[ .-]?".join(number[1:])


def _phone_copies_mask(cursor, numbers: list[str]) -> None:
    for number in numbers:
        if not (number.isdigit() and number.startswith("0")):
            continue  # stored numbers are 0 and digits (cnscd.phones); anything else is not replaced in JSON text
        for table, column in _PHONE_COPIES:
            cursor.execute(
                f"UPDATE {table} SET {column} = regexp_replace({column}::text, %s, %s, 'g')::jsonb "
                f"WHERE {column}::text ~ %s",
                [_phone_pattern(number), mask_phone(number), _phone_pattern(number)],
            )


def household_history_sweep() -> int:
    """Erase the phone from every audit event of a household that no longer consents or no longer exists.

    The safety net of ``household_consent_withdrawn`` (run daily by Celery beat): whatever path withdrew consent,
    no phone stays in the history without the consent that allowed it. Returns the number of events scrubbed.
    """
    table = Household.pgh_event_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" e SET phone = %s WHERE e.phone <> %s AND NOT EXISTS '
            "(SELECT 1 FROM households_household h WHERE h.id = e.pgh_obj_id AND h.consent_given)",
            ["", ""],
        )
        return cursor.rowcount


def _household_area_check(area: Area) -> None:
    if area.level != Level.HAMLET:
        raise ValidationError({"area": [_("A household belongs to a hamlet.")]})


@transaction.atomic
def household_create(*, acting_user, area: Area, code: str, head_name: str, **fields) -> Household:
    _household_area_check(area)
    code = code.strip()
    if Household.objects.filter(area=area, code=code).exists():
        raise ValidationError({"code": [_("This hamlet already has a household with this code.")]})
    fields = household_consent(fields, None)
    return Household.objects.create(area=area, code=code, head_name=head_name.strip(), **fields)


@transaction.atomic
def household_update(*, acting_user, household: Household, **fields) -> Household:
    if "area" in fields:
        _household_area_check(fields["area"])
    if "code" in fields:
        fields["code"] = fields["code"].strip()
    area = fields.get("area", household.area)
    code = fields.get("code", household.code)
    if Household.objects.filter(area=area, code=code).exclude(pk=household.pk).exists():
        raise ValidationError({"code": [_("This hamlet already has a household with this code.")]})
    consented = household.consent_given
    fields = household_consent(fields, household)
    for name, value in fields.items():
        setattr(household, name, value)
    household.save()
    if consented and not household.consent_given:
        household_consent_withdrawn(acting_user=acting_user, household_ids=[household.pk])
    return household


def household_flags_refresh(*, household_ids: Iterable[int]) -> None:
    """Recompute the derived flags of these households from their visits (after a visit is removed)."""
    ids = list(set(household_ids))
    if not ids:
        return
    sets = []
    for flag in HouseholdFlag:
        sets.append(
            f"{flag.value} = EXISTS (SELECT 1 FROM households_visit v "
            "JOIN households_visitactivity va ON va.visit_id = v.id "
            "JOIN households_activitytype t ON t.id = va.activity_type_id "
            f"WHERE v.household_id = h.id AND t.household_flag = %s)"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE households_household h SET {', '.join(sets)} WHERE h.id = ANY(%s)",
            [*[flag.value for flag in HouseholdFlag], ids],
        )


def household_phone_visible(*, user, household: Household) -> bool:
    """Full phone only for commune officers and teams assigned to the household's commune or below (SPEC.md §4)."""
    hamlet_path = household.area.path
    commune_path = hamlet_path[: hamlet_path.rstrip("/").rfind("/") + 1]
    phone_readers = policy.roles("household", "view_phone")
    return any(
        role in phone_readers and path.startswith(commune_path) and hamlet_path.startswith(path)
        for role, path in scoping.role_paths(user)
    )


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


def _cell(value) -> str:
    """A CSV cell as text, with spreadsheet formulas neutralised (the rule of imports.base.neutralise)."""
    return neutralise("" if value is None else str(value))


def export_log(*, acting_user, kind: str, rows: int, area: Area | None = None, params: dict | None = None) -> None:
    """Log an export of personal data under ``area``, what was exported (a hamlet's checklist, a filtered area).

    Without it the log is filed under the narrowest area holding the user's scope for exporting — one entry per
    area of that scope when it spans provinces — so that the administrators of that area see it (the
    administration lists logs by scope).
    """
    areas = [area] if area is not None else _export_scope_areas(acting_user)
    params = mask_values(params or {})  # a phone typed into a search box is not copied into the log
    ExportLog.objects.bulk_create(
        ExportLog(user=acting_user, kind=kind, rows=rows, area=where, params=params) for where in areas or [None]
    )


def _export_scope_areas(user) -> list[Area]:
    paths = scoping.scope_paths(user, policy.roles("household", "export"))
    common = os.path.commonprefix(paths) if paths else ""  # by characters: "/1/15/" and "/1/16/" give "/1/1"
    common = common[: common.rfind("/") + 1]
    return list(Area.objects.filter(path__in=[common] if common.count("/") > 1 else paths))


@transaction.atomic
def households_export_csv(*, acting_user, households, params: dict, area: Area | None = None) -> tuple[str, int]:
    """CSV of ``households`` (already scoped), phones masked as the API shows them; the export is logged."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        ["area", "code", "head_name", "address", "size", "phone", "consent_given", "categories", "has_smartphone",
         "has_dvctt_account", "has_cashless", "has_vneid"]
    )  # fmt: skip
    rows = 0
    for h in households.select_related("area").iterator(chunk_size=2000):
        phone = h.phone if household_phone_visible(user=acting_user, household=h) else mask_phone(h.phone)
        writer.writerow(
            [_cell(h.area.name), _cell(h.code), _cell(h.head_name), _cell(h.address), h.size, _cell(phone),
             h.consent_given, " ".join(h.categories), h.has_smartphone, h.has_dvctt_account, h.has_cashless,
             h.has_vneid]
        )  # fmt: skip
        rows += 1
    export_log(acting_user=acting_user, kind="households_csv", rows=rows, area=area, params=params)
    return buffer.getvalue(), rows


# --- Activity catalogue ------------------------------------------------------------------------------------

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


# --- Visits -----------------------------------------------------------------------------------------------


class VisitConflict(Exception):
    """The client_uuid is already used by a visit with different content."""

    def __init__(self, visit_id: int | None = None):
        super().__init__(visit_id)
        self.visit_id = visit_id


@dataclass
class VisitData:
    """A visit that passed every rule, ready to store."""

    client_uuid: uuid.UUID
    member: Member
    household: Household | None
    area: Area
    date: Date
    channel: str
    activities: dict[str, int]
    note: str = ""
    id: int | None = None
    created_at: object = None
    types: dict[str, ActivityType] = field(default_factory=dict, repr=False)

    @property
    def team_id(self) -> int:
        return self.member.team_id

    def content(self) -> tuple:
        return (
            self.household.pk if self.household else None,
            self.area.pk,
            self.member.team_id,
            self.member.pk,
            self.date,
            self.channel,
            self.note,
            tuple(sorted(self.activities.items())),
        )


def _stored_content(row: tuple) -> tuple:
    """``VisitData.content()`` of a stored visit, from a row of the ``stored`` look-up (``_lookup_statement``)."""
    _client_uuid, _id, household_id, area_id, team_id, member_id, day, channel, note, codes, quantities = row
    activities = tuple(sorted(zip(codes or (), quantities or (), strict=True)))
    return (household_id, area_id, team_id, member_id, day, channel, note, activities)


def own_members(user) -> list[Member]:
    """The user's active roster entries (a member's login is ``Member.user``), cached per request."""
    cache = user.__dict__
    if "_own_members" not in cache:
        cache["_own_members"] = list(
            Member.objects.filter(user=user, left_on__isnull=True).select_related("team__area").order_by("pk")
        )
    return cache["_own_members"]


def one_stop_desk_path(team: Team) -> str:
    """The path of the commune whose one-stop desk (bộ phận một cửa) a team staffs: its hamlet's commune, or its own
    commune for a commune-level team."""
    path = team.area.path
    if team.area.level == Level.COMMUNE:
        return path
    return path[: path.rstrip("/").rfind("/") + 1]


def at_one_stop_desk(*, area: Area, team: Team | None) -> bool:
    """A visit without a household logged on the commune of the team's hamlet (or a commune-level team's commune):
    help at the commune's one-stop desk, counted for that commune and above, never for a hamlet (API.md)."""
    return team is not None and area.level == Level.COMMUNE and area.path == one_stop_desk_path(team)


def visit_check(
    *,
    acting_user,
    member: Member | None,
    household: Household | None,
    area: Area | None,
    date: Date | None,
    channel: str,
    activities: dict[str, int] | list[tuple[str, int]],
    client_uuid: uuid.UUID,
    note: str = "",
    types: dict[str, ActivityType] | None = None,
) -> tuple[VisitData | None, dict[str, list[str]]]:
    """Apply the rules of API.md; returns (the visit ready to store, {}) or (None, {field: [messages]})."""
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    types = activity_types() if types is None else types
    if member is None:
        error("member", _("You are not on the roster of an active team, so you cannot log visits."))
    elif member.user_id != acting_user.pk and not policy.permits(
        acting_user, "visit", "add_for_member", member.team.area
    ):
        error("member", _("You can only log your own visits."))
    elif member.left_on is not None and member.user_id != acting_user.pk:
        error("member", _("This member has left the team."))
    elif member.left_on is not None and (date is None or date >= member.left_on):
        # A visit the member typed (perhaps offline) while still on the team is theirs to sync. ``left_on`` is the
        # first day off the roster, as the rollup counts it.
        error(
            "member",
            _("You left the team on %(date)s: only visits from before that day can be logged.")
            % {"date": member.left_on.strftime("%d/%m/%Y")},
        )
    team = member.team if member is not None else None

    if channel not in CHANNELS:
        error("channel", _("Unknown channel."))
    today = timezone.localdate()
    if date is None:
        error("date", _("Enter the date of the visit."))
    elif date > today:
        error("date", _("The date of a visit cannot be in the future."))
    elif team is not None and date < team.established_on:
        error(
            "date",
            _("The date is before the team was founded (%(date)s).")
            % {"date": team.established_on.strftime("%d/%m/%Y")},
        )

    if isinstance(activities, dict):
        activities = list(activities.items())
    wanted: dict[str, int] = {}
    if not activities:
        error("activities", _("Tick at least one activity."))
    for code, quantity in activities:
        if code not in types:
            error("activities", _("Unknown activity: %(code)s.") % {"code": code})
        elif code in wanted:
            error("activities", _("The activity %(code)s is listed twice.") % {"code": code})
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            error("activities", _("The number of people helped must be a whole number of at least 1."))
        else:
            wanted[code] = quantity
    if not (note or "").strip() and (vague := [types[code].name for code in wanted if types[code].requires_note]):
        error("note", _("Say in the note what help was given for: %(activities)s.") % {"activities": ", ".join(vague)})

    if household is not None:
        if area is not None and area.pk != household.area_id:
            error("area", _("The area of a visit to a household is the household's hamlet."))
        area = household.area
        if not scoping.area_in_scope(acting_user, area, VISIT_WRITERS):
            error("household", _("This household does not exist or is outside your area."))
        elif team is not None and not area.path.startswith(team.area.path):
            error("household", _("This household is outside your team's area."))
    elif area is None:
        error("area", _("Choose the household, or the hamlet or commune where the help was given."))
    else:
        if area.level not in (Level.HAMLET, Level.COMMUNE):
            error("area", _("Without a household, the area must be a hamlet or a commune."))
        elif at_one_stop_desk(area=area, team=team):
            pass  # the member logging it (or logged for) was checked above; the desk is the team's own commune
        elif not scoping.area_in_scope(acting_user, area, VISIT_WRITERS):
            error("area", _("This area does not exist or is outside your area."))
        elif team is not None and not area.path.startswith(team.area.path):
            error("area", _("This area is outside your team's area."))

    try:
        client_uuid = client_uuid if isinstance(client_uuid, uuid.UUID) else uuid.UUID(str(client_uuid))
    except ValueError:
        error("client_uuid", _("Must be a valid UUID."))
    if errors:
        return None, errors
    return (
        VisitData(
            client_uuid=client_uuid,
            member=member,
            household=household,
            area=area,
            date=date,
            channel=channel,
            activities=wanted,
            note=(note or "").strip(),
            types=types,
        ),
        {},
    )


def _store_statement(flag: str) -> str:
    """The statement of ``_visits_store``: the visits, their activities and (when ``flag``) that household flag."""
    flagged = (
        f"""
        , flagged AS (
            UPDATE households_household SET "{flag}" = true
            WHERE NOT "{flag}" AND id IN (
                SELECT f.h FROM unnest($14::uuid[], $15::bigint[]) AS f(u, h) JOIN new ON new.client_uuid = f.u
            )
        )"""
        if flag
        else ""
    )
    return f"""
        WITH new AS (
            INSERT INTO households_visit (client_uuid, household_id, area_id, team_id, member_id, date, channel, note,
                                          created_by_id, created_at)
            SELECT u, h, a, t, m, d, c, n, $1::bigint, $2::timestamptz
            FROM unnest($3::uuid[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::date[], $9::varchar[],
                        $10::text[]) AS x(u, h, a, t, m, d, c, n)
            ON CONFLICT (client_uuid) DO NOTHING
            RETURNING id, client_uuid
        ), activities AS (
            INSERT INTO households_visitactivity (visit_id, activity_type_id, quantity)
            SELECT new.id, y.t, y.q
            FROM unnest($11::uuid[], $12::bigint[], $13::integer[]) WITH ORDINALITY AS y(u, t, q, i)
            JOIN new ON new.client_uuid = y.u
            ORDER BY y.i
        ){flagged}
        SELECT id, client_uuid FROM new
    """


def _array(values: Iterable) -> str:
    """A PostgreSQL array literal of values whose text never needs quoting: UUIDs, integers, dates and channel codes
    (None is NULL). The driver quotes a list element by element, which was a fifth of a bulk sync's Python time."""
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"


def _visits_store(*, acting_user, visits: list[VisitData]) -> list[tuple[str, int | None]]:
    """Store the visits in one transaction; returns (created|duplicate|conflict, id) per visit, in order.

    One statement inserts the visits (``ON CONFLICT (client_uuid) DO NOTHING``), the activities of those it
    created, in the order they were given, and sets the first household flag those activities prove; each further
    flag is one more ``UPDATE`` (a row can change only once in a statement). A flag only goes from false to true,
    so a household already flagged is not written (no audit event). Rows are inserted sorted by client_uuid so two
    overlapping batches cannot deadlock.
    """
    first: dict[uuid.UUID, int] = {}
    for index, visit in enumerate(visits):
        first.setdefault(visit.client_uuid, index)
    text = {i: str(visits[i].client_uuid) for i in first.values()}  # each UUID turned into text once
    order = sorted(text, key=text.__getitem__)
    activity_uuids, activity_types_, quantities = [], [], []
    flags: dict[str, list[VisitData]] = {}  # flag → the visits (if created) that set it
    for i in order:
        for code, quantity in visits[i].activities.items():
            activity_uuids.append(text[i])
            activity_types_.append(visits[i].types[code].pk)
            quantities.append(quantity)
            if (flag := visits[i].types[code].household_flag) and visits[i].household is not None:
                flags.setdefault(HouseholdFlag(flag).value, []).append(visits[i])
    flags = dict(sorted(flags.items()))
    flag, flagging = next(iter(flags.items()), ("", []))
    now = timezone.now()
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            f"cnscd_visits_store_{flag or 'no_flag'}",
            functools.partial(_store_statement, flag),
            [
                acting_user.pk if acting_user is not None else None,
                now,
                _array(text[i] for i in order),
                _array(visits[i].household.pk if visits[i].household else None for i in order),
                _array(visits[i].area.pk for i in order),
                _array(visits[i].member.team_id for i in order),
                _array(visits[i].member.pk for i in order),
                _array(visits[i].date for i in order),
                _array(visits[i].channel for i in order),
                [visits[i].note for i in order],  # free text: the driver quotes it
                _array(activity_uuids),
                _array(activity_types_),
                _array(quantities),
                *([_array(v.client_uuid for v in flagging), _array(v.household.pk for v in flagging)] if flag else []),
            ],
        )
        created = {row[1]: row[0] for row in cursor.fetchall()}
        for flag, flagging in list(flags.items())[1:]:
            ids = sorted({v.household.pk for v in flagging if v.client_uuid in created})
            if ids:
                cursor.execute(
                    f'UPDATE households_household SET "{flag}" = true WHERE id = ANY(%s) AND NOT "{flag}"', [ids]
                )
    for key, visit_id in created.items():
        visits[first[key]].id, visits[first[key]].created_at = visit_id, now

    existing: dict[uuid.UUID, tuple[int, tuple]] = {}
    missing = [v.client_uuid for v in visits if v.client_uuid not in created]
    if missing:
        with connection.cursor() as cursor:
            execute_prepared(
                cursor,
                "cnscd_visit_stored",
                functools.partial(_lookup_statement, "stored"),
                [_array(missing)],
                reads_only=True,
            )
            existing = {row[0]: (row[1], _stored_content(row)) for row in cursor.fetchall()}
    results: list[tuple[str, int | None]] = []
    for index, visit in enumerate(visits):
        if visit.client_uuid in created and first[visit.client_uuid] == index:
            results.append((CREATED, visit.id))
            continue
        if visit.client_uuid in created:  # a repeat inside the same batch
            stored_content = visits[first[visit.client_uuid]].content()
            stored_id = created[visit.client_uuid]
        else:
            stored_id, stored_content = existing[visit.client_uuid]
        if stored_content == visit.content():
            visit.id = stored_id
            results.append((DUPLICATE, stored_id))
        else:
            results.append(("conflict", stored_id))
    return results


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

    Raises ``ValidationError`` when a rule is broken and ``VisitConflict`` when ``client_uuid`` already belongs
    to a visit with different content.
    """
    data, errors = visit_check(
        acting_user=acting_user,
        member=member,
        household=household,
        area=area,
        date=date,
        channel=channel,
        activities=activities,
        client_uuid=client_uuid,
        note=note,
    )
    if errors:
        raise ValidationError(errors)
    [(status, visit_id)] = _visits_store(acting_user=acting_user, visits=[data])
    if status == CREATED:
        rollup_soon_on_commit()
    if status == "conflict":
        raise VisitConflict(visit_id)
    return data, status == CREATED


def _lookup_statement(kind: str) -> str:
    """The look-ups of ``visits_resolve`` and ``_visits_store``: the columns of the rows and related rows they need."""
    if kind == "households":  # a visit needs a household's id and hamlet only: no timestamps to parse per row
        return "SELECT h.id, h.area_id FROM households_household h WHERE h.id = ANY($1::bigint[])"
    if kind == "hamlets":  # the hamlets of those households, once each
        return (
            f"SELECT {columns(Area, 'a')} FROM areas_area a "
            "WHERE a.id IN (SELECT h.area_id FROM households_household h WHERE h.id = ANY($1::bigint[]))"
        )
    if kind == "areas":
        return f"SELECT {columns(Area, 'a')} FROM areas_area a WHERE a.id = ANY($1::bigint[])"
    if kind == "stored":  # visits already stored under these client_uuids, with their content (``_stored_content``)
        return (
            "SELECT v.client_uuid, v.id, v.household_id, v.area_id, v.team_id, v.member_id, v.date, v.channel, "
            "v.note, a.codes, a.quantities FROM households_visit v CROSS JOIN LATERAL ("
            "SELECT array_agg(t.code) AS codes, array_agg(va.quantity) AS quantities "
            "FROM households_visitactivity va JOIN households_activitytype t ON t.id = va.activity_type_id "
            "WHERE va.visit_id = v.id) a WHERE v.client_uuid = ANY($1::uuid[])"
        )
    # The team and its area are read per member row (LATERAL … OFFSET 0): the generic plan of a prepared statement
    # guesses ten members for any array and would hash-join them with a scan of every team.
    return (
        f"SELECT {columns(Member, 'm')}, ta.* FROM members_member m CROSS JOIN LATERAL ("
        f"SELECT {columns(Team, 't')}, {columns(Area, 'a')} FROM teams_team t JOIN areas_area a ON a.id = t.area_id "
        "WHERE t.id = m.team_id OFFSET 0) ta "
        "WHERE m.id = ANY($1::bigint[]) OR m.user_id = $2::bigint ORDER BY m.id"
    )


def _own_member_for(item: dict, active: list[Member], former: list[Member], place: Area | None) -> Member | None:
    """The user's own roster entry a visit is logged under when it names no member: one on the visit's team (if it
    names one) and on the roster on the visit's date — an active entry, else one that ended after that date (a
    visit typed offline before the member left; ``left_on`` is the first day off the roster) — preferring a team
    whose area holds the visit's place and an entry that had begun by that date. With none, the entry that ended
    last (``visit_check`` then refuses the visit with the day the member left)."""
    day, team_id = item.get("date"), item.get("team")
    active = [m for m in active if team_id in (None, m.team_id)]
    former = [m for m in former if team_id in (None, m.team_id)]
    candidates = active + [m for m in former if day is not None and day < m.left_on]

    def fit(member: Member) -> tuple[bool, bool]:  # False sorts first; the sort is stable: active entries first
        began = member.joined_on is None or day is None or member.joined_on <= day
        holds = place is None or place.path.startswith(member.team.area.path)
        return (not (holds or at_one_stop_desk(area=place, team=member.team)), not began)

    candidates.sort(key=fit)
    if not candidates:  # the latest ended entry, so that the refusal says when the member left
        candidates = sorted(former, key=lambda m: m.left_on, reverse=True)
    return candidates[0] if candidates else None


def _in_visit_scope(user, area: Area) -> bool:
    """``for_user(user, VISIT_WRITERS)`` (the scoping rule of areas.scoping) for a row already read."""
    return (
        getattr(user, "is_authenticated", False) and user.is_active and scoping.area_in_scope(user, area, VISIT_WRITERS)
    )


def _ids(values: set) -> list[int]:
    """Ids a bigint column can hold (the ORM answers "no such row" for the others; so do we)."""
    return sorted(v for v in values if -(2**63) <= v < 2**63)


def visits_resolve(*, acting_user, items: list[dict]) -> list[dict]:
    """Turn the ids of shape-valid items into objects, with up to four prepared statements sent together.

    Households, areas and members are looked up inside the user's scope for logging visits, so an id outside
    it reads exactly like an id that does not exist. Each result is either the keyword arguments of
    ``visit_check`` or ``{"errors": {...}}``. The user's own roster entries (``own_members``) come with the
    members' look-up.
    """
    ids = {"household": set(), "area": set(), "member": set()}
    for item in items:
        for name in ids:
            if item.get(name) is not None:
                ids[name].add(item[name])
    households: dict[int, Household] = {}
    areas: dict[int, Area] = {}
    communes: dict[int, Area] = {}  # communes outside the user's scope: only a team's one-stop desk may use them
    members: dict[int, Member] = {}
    hamlets: dict[int, Area | None] = {}  # a batch's households share a few hamlets: one object each
    former: list[Member] = []  # the user's roster entries that have ended, for visits dated before the end
    household_rows: list[tuple[int, int]] = []
    cache = acting_user.__dict__
    lookups = []  # one round trip for all of them
    if ids["household"]:
        household_ids = _array(_ids(ids["household"]))
        lookups += [("households", [household_ids]), ("hamlets", [household_ids])]
    if ids["area"]:
        lookups.append(("areas", [_ids(ids["area"])]))
    if ids["member"] or "_former_members" not in cache:
        lookups.append(("members", [_ids(ids["member"]), acting_user.pk]))
    with connection.cursor() as cursor:
        if lookups:
            execute_prepared_together(
                cursor,
                [
                    (f"cnscd_visit_{kind}", functools.partial(_lookup_statement, kind), params)
                    for kind, params in lookups
                ],
                reads_only=True,
            )
        for position, (kind, _params) in enumerate(lookups):
            if position:
                cursor.nextset()
            rows = cursor.fetchall()
            if kind == "households":
                household_rows = rows
            elif kind == "hamlets":
                for row in rows:
                    [area] = instances(row, Area)
                    hamlets[area.pk] = area if _in_visit_scope(acting_user, area) else None
            elif kind == "areas":
                for row in rows:
                    [area] = instances(row, Area)
                    if _in_visit_scope(acting_user, area):
                        areas[area.pk] = area
                    elif area.level == Level.COMMUNE:
                        communes[area.pk] = area
            else:
                own = []
                for row in rows:
                    member, team, area = instances(row, Member, Team, Area)
                    team.area = area
                    member.team = team
                    if member.user_id == acting_user.pk:
                        (own if member.left_on is None else former).append(member)
                    if member.pk in ids["member"] and _in_visit_scope(acting_user, area):
                        members[member.pk] = member
                cache.setdefault("_own_members", own)
                cache.setdefault("_former_members", former)
    for household_id, area_id in household_rows:
        if (area := hamlets.get(area_id)) is not None:
            household = Household.from_db(connection.alias, ["id", "area_id"], (household_id, area_id))
            household.area = area
            households[household_id] = household
    mine, former = own_members(acting_user), cache.get("_former_members", [])
    types = activity_types()
    resolved = []
    for item in items:
        errors: dict[str, list[str]] = {}
        household = area = member = None
        if item.get("household") is not None:
            household = households.get(item["household"])
            if household is None:
                errors["household"] = [_("This household does not exist or is outside your area.")]
        desk = None
        if item.get("area") is not None:
            area = areas.get(item["area"])
            desk = communes.get(item["area"]) if household is None else None
        if item.get("member") is not None:
            member = members.get(item["member"])
            if member is None:
                errors["member"] = [_("This member does not exist or is outside your area.")]
        else:
            member = _own_member_for(item, mine, former, (household.area if household is not None else area or desk))
        if area is None and desk is not None and member is not None and at_one_stop_desk(area=desk, team=member.team):
            area = desk
        if item.get("area") is not None and area is None:
            errors["area"] = [_("This area does not exist or is outside your area.")]
        if member is not None and item.get("team") is not None and item["team"] != member.team_id:
            errors["team"] = [_("The member is not on this team.")]
        if errors:
            resolved.append({"errors": errors})
            continue
        resolved.append(
            {
                "member": member,
                "household": household,
                "area": area,
                "date": item.get("date"),
                "channel": item.get("channel"),
                "activities": [(a["type"], a["quantity"]) for a in item.get("activities", [])],
                "client_uuid": item["client_uuid"],
                "note": item.get("note", ""),
                "types": types,
            }
        )
    return resolved


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
            results[index] = {"index": index, "status": INVALID, "id": None, "errors": resolved["errors"]}
            continue
        data, errors = visit_check(acting_user=acting_user, **resolved)
        if errors:
            results[index] = {"index": index, "status": INVALID, "id": None, "errors": errors}
        else:
            ready.append((index, data))
    if ready:
        stored = _visits_store(acting_user=acting_user, visits=[data for _index, data in ready])
        for (index, _data), (status, visit_id) in zip(ready, stored, strict=True):
            if status == "conflict":
                results[index] = {
                    "index": index,
                    "status": INVALID,
                    "id": None,
                    "errors": {"client_uuid": [_("This client_uuid is already used by a different visit.")]},
                }
            else:
                results[index] = {"index": index, "status": status, "id": visit_id}
        if any(status == CREATED for status, _visit_id in stored):
            rollup_soon_on_commit()
    return results


@transaction.atomic
def visit_delete(*, acting_user, visit: Visit) -> None:
    household_id = visit.household_id
    visit.delete()
    if household_id:
        household_flags_refresh(household_ids=[household_id])
    rollup_soon_on_commit()
