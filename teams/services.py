"""Writes on teams: found, edit, dissolve. Rules: a team sits on a hamlet or a commune; one active team per unit."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from areas import policy
from areas.models import Area, Level
from teams.models import Team, TeamStatus

TEAM_FIELDS = ("name", "established_on", "decision_number", "decision_issuer", "zalo_group_url", "notes")


def _check_area(*, acting_user, area: Area) -> None:
    if area.level not in (Level.HAMLET, Level.COMMUNE):
        raise ValidationError({"area": [_("A team is founded on a hamlet or a commune.")]})
    if acting_user is not None and not policy.permits(acting_user, "team", "add", area):
        raise PermissionDenied(_("Only commune officers and province administrators can manage teams."))


def _check_one_active(team: Team) -> None:
    if team.status != TeamStatus.ACTIVE:
        return
    clash = Team.objects.active().filter(area_id=team.area_id).exclude(pk=team.pk).first()
    if clash:
        raise ValidationError(
            {"area": [_("“%(area)s” already has an active team (“%(team)s”).") % {"area": team.area, "team": clash}]}
        )


def _save(team: Team) -> Team:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as error:  # a concurrent founding on the same unit
        if "one_active_team_per_area" in str(error):
            raise ValidationError({"area": [_("This unit already has an active team.")]}) from error
        raise
    return team


@transaction.atomic
def team_found(
    *,
    acting_user,
    area: Area,
    name: str,
    established_on: date,
    decision_number: str = "",
    decision_issuer: str = "",
    zalo_group_url: str = "",
    notes: str = "",
) -> Team:
    """Found a team on a hamlet or a commune (``acting_user=None``: an import already checked the scope)."""
    _check_area(acting_user=acting_user, area=area)
    team = Team(
        area=area,
        name=" ".join(name.split()),
        established_on=established_on,
        decision_number=decision_number,
        decision_issuer=decision_issuer,
        zalo_group_url=zalo_group_url,
        notes=notes,
    )
    _check_one_active(team)
    return _save(team)


@transaction.atomic
def team_update(*, acting_user, team: Team, **fields) -> Team:
    """Edit a team's details. Its unit may change only to another unit in the user's scope."""
    if "area" in fields and fields["area"] != team.area:
        _check_area(acting_user=acting_user, area=fields["area"])
        team.area = fields.pop("area")
    fields.pop("area", None)
    for field, value in fields.items():
        if field not in TEAM_FIELDS:
            raise ValidationError({field: [_("This field cannot be changed here.")]})
        setattr(team, field, value)
    _check_one_active(team)
    return _save(team)


@transaction.atomic
def team_dissolve(*, acting_user, team: Team, dissolved_on: date) -> Team:
    """Dissolve a team; its active members leave on the same day."""
    if team.status == TeamStatus.DISSOLVED:
        raise ValidationError({"status": [_("This team is already dissolved.")]})
    if dissolved_on < team.established_on:
        raise ValidationError({"dissolved_on": [_("A team cannot be dissolved before it was founded.")]})
    if dissolved_on > timezone.localdate():
        # A dissolved team frees its unit at once (one active team per unit): a future date would let a second team
        # be founded while the rollup still counts the first one until that date.
        raise ValidationError(
            {"dissolved_on": [_("The dissolution date cannot be in the future: dissolve the team on that day.")]}
        )
    team.status = TeamStatus.DISSOLVED
    team.dissolved_on = dissolved_on
    team.save(update_fields=["status", "dissolved_on", "updated_at"])
    team.members.filter(left_on__isnull=True, joined_on__isnull=True).update(left_on=dissolved_on)
    team.members.filter(left_on__isnull=True).update(
        left_on=Greatest(F("joined_on"), Value(dissolved_on, output_field=DateField()))
    )
    return team
