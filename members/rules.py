"""The roster's rules (SPEC §3.2), written once for every write of a roster: a page or an API call
(``members.services``) and a spreadsheet (``members.resources``).

``roster_errors`` takes the members as they would be after the write — one for a page, thousands for a file —
and returns every rule they break, reading in bulk (at most three queries however many rows), which keeps a
5,500-row roster within the import's 15 s. The partial unique indexes of ``Member`` back the same rules against
races. The rules:

* a plausible birth year; a leaving date neither before the joining date nor in the future;
* active members only in active teams;
* one active leader per team, counting the leaders on the portal whom the write does not change;
* a phone, a citizen-ID held by one active member in the whole country (what a refusal may tell about the
  holder, and how often: ``members.duplicates``).

A proposed member is a ``Member`` in its new state (no pk: a new one) whose team may be one still to be founded
(unsaved, by an import: the rows of one new team share the same ``Team`` object).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from members import duplicates
from members.models import Member, MemberRole


@dataclass(frozen=True)
class RosterError:
    index: int  # the position of the member in the list given
    field: str  # the member's field, or ``duplicates.NON_FIELD`` (the holder is out of the requester's scope)
    message: str


def roster_errors(
    members: Sequence[Member], *, acting_user, surface: str, rows: Sequence[int] | None = None
) -> list[RosterError]:
    """Every rule that ``members`` break, in the order of the members.

    ``rows`` numbers the members for the messages naming another one (a file's rows); ``surface`` names the write
    in the log of refusals ("roster write", "roster import"). A request refused because of someone out of scope
    counts one refusal (``members.duplicates``), however many of its rows are.
    """
    rows = list(rows) if rows is not None else list(range(1, len(members) + 1))
    errors = [
        RosterError(index, field, message)
        for index, member in enumerate(members)
        for field, message in _member_errors(member)
    ]
    errors += _leader_errors(members, rows)
    errors += _identifier_errors(members, rows, acting_user=acting_user, surface=surface)
    return sorted(errors, key=lambda error: error.index)


def _member_errors(member: Member) -> list[tuple[str, str]]:
    """The rules of one member alone: its dates and its team."""
    today = timezone.localdate()
    errors = []
    if member.birth_year is not None and not (1900 <= member.birth_year <= today.year):
        errors.append(("birth_year", _("Enter a plausible birth year.")))
    if member.joined_on and member.left_on and member.left_on < member.joined_on:
        errors.append(("left_on", _("The leaving date cannot be before the joining date.")))
    elif member.left_on and member.left_on > today:
        # A future date would free the phone and the citizen-ID at once (the roster's rules and the rollup read
        # ``left_on``): a departure is recorded once it has happened.
        future = _("The leaving date cannot be in the future: record the departure once it happened.")
        errors.append(("left_on", future))
    if member.is_active and not member.team.is_active:
        errors.append(("team", _("This team is dissolved; it cannot have active members.")))
    return errors


def _saved(members: Sequence[Member]) -> list[int]:
    """The members on the portal that the write changes: their stored state no longer counts."""
    return [member.pk for member in members if member.pk]


def _team_key(member: Member):
    return member.team_id or id(member.team)  # a team still to be founded is known by its object


def _leader_errors(members: Sequence[Member], rows: list[int]) -> list[RosterError]:
    """One active leader per team: the leaders proposed and those on the portal that no proposed member replaces."""
    leaders = [i for i, member in enumerate(members) if member.is_active and member.role == MemberRole.LEADER]
    teams = {members[i].team_id for i in leaders} - {None}
    current: dict[int, Member] = {}
    if teams:
        others = Member.objects.active().filter(role=MemberRole.LEADER, team_id__in=teams)
        for leader in others.exclude(pk__in=_saved(members)):
            current.setdefault(leader.team_id, leader)
    errors, first = [], {}
    for i in leaders:
        member = members[i]
        if (leader := current.get(member.team_id)) is not None:
            message = _("This team already has an active leader (%(name)s). Make them a deputy or member first.")
            errors.append(RosterError(i, "role", message % {"name": leader.full_name}))
        elif (key := _team_key(member)) in first:
            message = _("The team already has a leader at row %(row)s; a team has one leader.")
            errors.append(RosterError(i, "role", message % {"row": rows[first[key]]}))
        else:
            first[key] = i
    return errors


def _identifier_errors(members: Sequence[Member], rows: list[int], *, acting_user, surface: str) -> list[RosterError]:
    """A phone, a citizen-ID held by one active member: none on the portal besides the members changed, none
    twice among the proposed ones."""
    holding = [
        (i, field, value)
        for i, member in enumerate(members)
        if member.is_active
        for field, value in (("phone", member.phone), ("citizen_id", member.citizen_id_hash))
        if value
    ]
    if not holding:
        return []
    phones = {value for _i, field, value in holding if field == "phone"}
    hashes = {value for _i, field, value in holding if field == "citizen_id"}
    held: dict[tuple[str, str], Member] = {}
    others = Member.objects.active().filter(Q(phone__in=phones) | Q(citizen_id_hash__in=hashes))
    for other in others.exclude(pk__in=_saved(members)).select_related("team"):
        held.setdefault(("phone", other.phone), other)
        held.setdefault(("citizen_id", other.citizen_id_hash), other)
    errors, clashes, first = [], [], {}
    for i, field, value in holding:
        if (clash := held.get((field, value))) is not None:
            clashes.append((i, field, clash))
        elif (field, value) in first:
            message = _("Same person as row %(row)s of this file.") % {"row": rows[first[(field, value)]]}
            errors.append(RosterError(i, field, message))
        else:
            first[(field, value)] = i
    refused = duplicates.clash_errors(acting_user=acting_user, clashes=clashes, surface=surface)
    return errors + [RosterError(*error) for error in refused]
