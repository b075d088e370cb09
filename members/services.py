"""Writes on rosters: add, edit, retire a member; training sessions.

Rules (SPEC §3.2), checked here with clear messages and backed by partial unique indexes in the database:
one active leader per team; the same person (phone or citizen-ID) active in one team only; active members only
in active teams.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from areas import policy
from members import duplicates
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

_CONSTRAINT_MESSAGES = {
    "one_active_leader_per_team": ("role", gettext_noop("This team already has an active leader.")),
    "active_member_phone_unique": ("phone", gettext_noop("This phone number belongs to an active member of a team.")),
    "active_member_citizen_id_unique": (
        "citizen_id",
        gettext_noop("This citizen-ID belongs to an active member of a team."),
    ),
    "member_left_after_joined": ("left_on", gettext_noop("The leaving date cannot be before the joining date.")),
}


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
    """Raise a ValidationError naming the field and the clash, or return when ``member`` may be saved.

    A clash with a person outside ``acting_user``'s scope names nobody and is counted (``members.duplicates``);
    ``probing`` (a new member, a changed number, a return to a team) makes an exhausted day's count refuse the
    write with a 429 before anything is compared.
    """
    errors: dict[str, list[str]] = {}
    if member.birth_year is not None and not (1900 <= member.birth_year <= timezone.localdate().year):
        errors["birth_year"] = [_("Enter a plausible birth year.")]
    if member.joined_on and member.left_on and member.left_on < member.joined_on:
        errors["left_on"] = [_("The leaving date cannot be before the joining date.")]
    elif member.left_on and member.left_on > timezone.localdate():
        # A future date would free the phone and the citizen-ID at once (the roster's rules and the rollup read
        # ``left_on``): a departure is recorded once it has happened.
        errors["left_on"] = [_("The leaving date cannot be in the future: record the departure once it happened.")]
    if member.is_active:
        others = Member.objects.active().exclude(pk=member.pk).select_related("team")
        if not member.team.is_active:
            errors["team"] = [_("This team is dissolved; it cannot have active members.")]
        if member.role == MemberRole.LEADER:
            leader = others.filter(team_id=member.team_id, role=MemberRole.LEADER).first()
            if leader:
                errors["role"] = [
                    _("This team already has an active leader (%(name)s). Make them a deputy or member first.")
                    % {"name": leader.full_name}
                ]
        if probing and (member.phone or member.citizen_id_hash):
            duplicates.refusals_check(acting_user=acting_user)  # before any lookup: the answer is the counter's
        clashes: dict[str, Member] = {}
        if member.phone and (clash := others.filter(phone=member.phone).first()):
            clashes["phone"] = clash
        if member.citizen_id_hash and (clash := others.filter(citizen_id_hash=member.citizen_id_hash).first()):
            clashes["citizen_id"] = clash
        errors |= duplicates.clash_errors(acting_user=acting_user, clashes=clashes, surface="roster write")
    if errors:
        raise ValidationError(errors)


def _save(member: Member, *, acting_user, probing: bool) -> Member:
    member_rules_check(member, acting_user=acting_user, probing=probing)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as error:  # a concurrent write slipped past the check: same answer
        for constraint, (field, message) in _CONSTRAINT_MESSAGES.items():
            if constraint in str(error):
                raise ValidationError({field: [_(message)]}) from error
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
