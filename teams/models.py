from __future__ import annotations

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from areas.scoping import ScopedQuerySet


class TeamStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISSOLVED = "dissolved", _("Dissolved")


class TeamQuerySet(ScopedQuerySet):
    area_path_field = "area__path"

    def active(self) -> TeamQuerySet:
        return self.filter(status=TeamStatus.ACTIVE)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Team(models.Model):
    """A Community Digital Technology Team (Tổ CNSCĐ), founded on a hamlet or a commune."""

    area = models.ForeignKey("areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("name"), max_length=200)
    established_on = models.DateField(_("founded on"))
    decision_number = models.CharField(_("founding decision number"), max_length=100, blank=True)
    decision_issuer = models.CharField(_("decision issued by"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TeamStatus.choices, default=TeamStatus.ACTIVE)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    zalo_group_url = models.URLField(_("Zalo group link"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
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
        ]

    def __str__(self) -> str:
        return self.name
