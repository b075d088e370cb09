"""Writes on rosters: add, edit, retire a member; training sessions.

The roster's rules (SPEC §3.2: one active leader per team, the same person active in one team only, active members
in active teams only, plausible dates) are ``members.rules``, which the roster import applies too.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from areas import policy
from cnscd.exceptions import constraint_errors
from members import duplicates, rules
from members.models import Member, MemberRole, TrainingSession
from members.validators import citizen_id_hash, normalize_citizen_id, normalize_phone
from teams.models import Team

MEMBER_FIELDS = (
    "team",
    "user",
    "full_name",
    "gender",
    "birth_year",
    "phone",
    "organization",
    "role",
    "joined_on",
    "left_on",
    "trained_on",
)


def _check_team(*, acting_user, team: Team) -> None:
    if acting_user is not None and not policy.permits(acting_user, "member", "change", team.area):
        raise PermissionDenied(_("Only commune officers and team leaders can change this roster."))


def _apply_identifiers(member: Member, phone: str | None, citizen_id: str | None) -> None:
    try:
        if phone is not None:
            member.phone = normalize_phone(phone) if phone else ""
        if citizen_id is not None:
            if citizen_id:
                number = normalize_citizen_id(citizen_id)
                member.citizen_id_hash = citizen_id_hash(number)
                member.citizen_id_last4 = number[-4:]
            else:
                member.citizen_id_hash = member.citizen_id_last4 = ""
    except ValidationError as error:
        field = "phone" if error.code == "phone" else "citizen_id"
        raise ValidationError({field: list(error.messages)}) from error


def member_rules_check(member: Member, *, acting_user=None, probing: bool = True) -> None:
    """Raise a ValidationError naming each roster rule ``member`` breaks (``members.rules``), or return.

    A clash with a person outside ``acting_user``'s scope names nobody and is counted (``members.duplicates``);
    ``probing`` (a new member, a changed number, a return to a team) makes an exhausted day's count refuse the
    write with a 429 before anything is compared.
    """
    if probing and member.is_active and (member.phone or member.citizen_id_hash):
        duplicates.refusals_check(acting_user=acting_user)  # before any lookup: the answer is the counter's
    errors: dict[str, list[str]] = {}
    for error in rules.roster_errors([member], acting_user=acting_user, surface="roster write"):
        errors.setdefault(error.field, []).append(error.message)
    if errors:
        raise ValidationError(errors)


def _save(member: Member, *, acting_user, probing: bool) -> Member:
    member_rules_check(member, acting_user=acting_user, probing=probing)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as error:  # a concurrent write slipped past the check: the same answer as the check's
        if (errors := constraint_errors(error)) is not None:
            raise ValidationError(errors) from error
        raise
    return member


@transaction.atomic
def member_create(
    *,
    acting_user,
    team: Team,
    full_name: str,
    gender: str,
    organization: str,
    role: str = MemberRole.MEMBER,
    phone: str = "",
    citizen_id: str = "",
    birth_year: int | None = None,
    joined_on: date | None = None,
    left_on: date | None = None,
    trained_on: date | None = None,
    user=None,
) -> Member:
    _check_team(acting_user=acting_user, team=team)
    member = Member(
        team=team,
        user=user,
        full_name=" ".join(full_name.split()),
        gender=gender,
        organization=organization,
        role=role,
        birth_year=birth_year,
        joined_on=joined_on,
        left_on=left_on,
        trained_on=trained_on,
    )
    _apply_identifiers(member, phone, citizen_id)
    return _save(member, acting_user=acting_user, probing=True)


@transaction.atomic
def member_update(*, acting_user, member: Member, citizen_id: str | None = None, **fields) -> Member:
    """Edit a member; moving them to another team needs write rights on both teams."""
    _check_team(acting_user=acting_user, team=member.team)
    if "team" in fields and fields["team"] != member.team:
        _check_team(acting_user=acting_user, team=fields["team"])
    phone = fields.pop("phone", None)
    before = (member.phone, member.citizen_id_hash, member.left_on)
    for field, value in fields.items():
        if field not in MEMBER_FIELDS:
            raise ValidationError({field: [_("This field cannot be changed here.")]})
        setattr(member, field, value)
    if "full_name" in fields:
        member.full_name = " ".join(member.full_name.split())
    _apply_identifiers(member, phone, citizen_id)
    probing = before != (member.phone, member.citizen_id_hash, member.left_on)
    return _save(member, acting_user=acting_user, probing=probing)


@transaction.atomic
def member_retire(*, acting_user, member: Member, left_on: date) -> Member:
    """A member leaves the team on ``left_on`` (kept on the roster's history)."""
    _check_team(acting_user=acting_user, team=member.team)
    if not member.is_active:
        raise ValidationError({"left_on": [_("This member has already left the team.")]})
    member.left_on = left_on
    return _save(member, acting_user=acting_user, probing=False)


@transaction.atomic
def training_session_save(
    *, acting_user, session: TrainingSession, attendees: list[Member] | None = None
) -> TrainingSession:
    """Create or edit a training session; attendees must be members inside the user's scope."""
    if acting_user is not None and not policy.permits(acting_user, "trainingsession", "change", session.area):
        raise PermissionDenied(_("Only commune officers and team leaders can record trainings."))
    session.save()
    if attendees is not None:
        outside = [m for m in attendees if not m.team.area.path.startswith(session.area.path)]
        if outside:
            raise ValidationError({"attendees": [_("Attendees must belong to teams of the session's area.")]})
        session.attendees.set(attendees)
    return session
