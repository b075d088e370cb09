from __future__ import annotations

import pghistory
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from areas.scoping import ScopedQuerySet
from cnscd import text


class TeamStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISSOLVED = "dissolved", _("Dissolved")


class TeamQuerySet(ScopedQuerySet):
    area_path_field = "area__path"

    def active(self) -> TeamQuerySet:
        return self.filter(status=TeamStatus.ACTIVE)

    def with_roster(self) -> TeamQuerySet:
        """Annotate ``active_member_count``, ``leader_pk`` and ``leader_name`` (no query per team)."""
        from members.models import Member, MemberRole

        leader = Member.objects.filter(team=models.OuterRef("pk"), role=MemberRole.LEADER, left_on__isnull=True)
        active_count = (
            Member.objects.filter(team=models.OuterRef("pk"), left_on__isnull=True)
            .order_by()
            .values("team")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(
            active_member_count=models.functions.Coalesce(models.Subquery(active_count), 0),
            leader_pk=models.Subquery(leader.values("pk")[:1]),
            leader_name=models.Subquery(leader.values("full_name")[:1]),
        )


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Team(models.Model):
    """A Community Digital Technology Team (Tổ CNSCĐ), founded on a hamlet or a commune."""

    area = models.ForeignKey("areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="teams")
    name = text.CharField(_("name"), max_length=200)
    established_on = models.DateField(_("founded on"))
    decision_number = text.CharField(_("founding decision number"), max_length=100, blank=True)
    decision_issuer = text.CharField(_("decision issued by"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TeamStatus.choices, default=TeamStatus.ACTIVE)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    zalo_group_url = models.URLField(_("Zalo group link"), blank=True)
    notes = text.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["area__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["area"], condition=models.Q(status="active"), name="one_active_team_per_area"
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", dissolved_on__isnull=True)
                | models.Q(status="dissolved", dissolved_on__isnull=False),
                name="team_dissolved_on_iff_dissolved",
            ),
            *text.constraints("team", "name", "decision_number", "decision_issuer", notes=("notes",)),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == TeamStatus.ACTIVE

    @property
    def warnings(self) -> list[str]:
        """Roster warnings; needs ``with_roster()`` annotations (else counts with two queries)."""
        if not hasattr(self, "active_member_count"):
            active = self.members.filter(left_on__isnull=True)
            self.active_member_count = active.count()
            self.leader_pk = active.filter(role="leader").values_list("pk", flat=True).first()
        return roster_warnings(
            active_members=self.active_member_count, has_leader=self.leader_pk is not None, is_active=self.is_active
        )


MIN_MEMBERS = 3
MAX_MEMBERS = 12


def roster_warnings(*, active_members: int, has_leader: bool, is_active: bool = True) -> list[str]:
    """Warnings (never errors) about an active team's roster, as sentences for the page and the API."""
    if not is_active:
        return []
    warnings = []
    if active_members < MIN_MEMBERS:
        warnings.append(gettext("The team has fewer than %(n)s active members.") % {"n": MIN_MEMBERS})
    elif active_members > MAX_MEMBERS:
        warnings.append(gettext("The team has more than %(n)s active members.") % {"n": MAX_MEMBERS})
    if not has_leader:
        warnings.append(gettext("The team has no active leader."))
    return warnings
