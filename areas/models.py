from __future__ import annotations

from datetime import date

import pghistory
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from areas.scoping import ScopedQuerySet
from cnscd import text

LEGACY_VALID_TO = date(2025, 6, 30)
CURRENT_VALID_FROM = date(2025, 7, 1)


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    HAMLET = "hamlet", _("Hamlet")


class Structure(models.TextChoices):
    LEGACY = "legacy", _("Before 01/07/2025 (with districts)")
    CURRENT = "current", _("Since 01/07/2025 (no districts)")


HAMLET_KINDS = ["Thôn", "Ấp", "Bản", "Khóm", "Tổ dân phố", "Khu phố", "Buôn", "Làng", "Sóc", "Khu", "Xóm", "Tổ"]


class AreaQuerySet(ScopedQuerySet):
    area_path_field = "path"

    def valid_on(self, day: date) -> AreaQuerySet:
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def current(self) -> AreaQuerySet:
        return self.valid_on(timezone.localdate())

    def under(self, area: Area) -> AreaQuerySet:
        """``area`` and everything below it."""
        return self.filter(path__startswith=area.path)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Area(models.Model):
    """An administrative unit — province, district (legacy), commune or hamlet — in one tree.

    Both structures live side by side: the legacy one (valid until 30/06/2025) and the current one (from
    01/07/2025). Official codes are reused across them (Long An 80 → Tây Ninh 80), so a unit is identified by
    (structure, level, code), never by the code alone. ``path`` holds the ids from the root ("/1/23/456/").
    """

    structure = models.CharField(_("structure"), max_length=10, choices=Structure.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = text.CharField(_("kind"), max_length=30)
    code = text.CharField(_("official code"), max_length=20, blank=True, default="")
    name = text.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, default="", editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="area_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "code"], name="area_level_code"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "level", "code"],
                condition=~Q(level="hamlet"),
                name="area_official_code_unique",
            ),
            # Hamlet names are compared without case ("Ấp 1" and "ấp 1" are one hamlet) on their stored, clean
            # form (NFC, no invisible characters, single spaces: the ``_clean`` checks below).
            models.UniqueConstraint(
                "parent", models.functions.Lower("name"), condition=Q(level="hamlet"), name="hamlet_name_unique"
            ),
            *text.constraints("area", "name", "code", "kind"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=models.F("valid_to")),
                name="area_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def is_current(self) -> bool:
        return self.is_valid_on(timezone.localdate())

    def ancestors(self) -> AreaQuerySet:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return Area.objects.filter(pk__in=ids).order_by("path")


def rebuild_paths() -> int:
    """Recompute every stored path from the parent links in one statement; returns the rows changed.

    Used after imports and reorganisations (a moved subtree gets its new paths in the same transaction).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE tree(id, path) AS (
                SELECT id, '/' || id || '/' FROM areas_area WHERE parent_id IS NULL
                UNION ALL
                SELECT a.id, tree.path || a.id || '/' FROM areas_area a JOIN tree ON a.parent_id = tree.id
            )
            UPDATE areas_area a SET path = tree.path FROM tree
            WHERE a.id = tree.id AND a.path IS DISTINCT FROM tree.path
            """
        )
        return cursor.rowcount


class RoleMoveStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for a decision")
    CONFIRMED = "confirmed", _("Move confirmed")
    REFUSED = "refused", _("Move refused")


class RoleMoveQuerySet(ScopedQuerySet):
    area_path_field = "to_area__path"  # a move is decided by whoever may decide for the unit it leads to


class RoleMove(models.Model):
    """A role assignment on a former commune that the reorganisation proposes to move to the commune's successor.

    ``manage.py apply_reorganization`` moves hamlets and records at once, but a role only through this plan: until
    a province administrator confirms the move, the assignment stays on the former commune, whose subtree no
    longer holds anything current (deny by default); refusing deletes it. ``widens`` says the successor covers
    more than the former commune (other former communes merged into it, or hamlets of its own); ``also_covers``
    names what it adds: ``{"communes": [former communes], "hamlets": [hamlets that were not the former
    commune's, at most 20], "hamlets_total": n}``.
    """

    user = models.ForeignKey("accounts.User", verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=20)
    from_area = models.ForeignKey(Area, verbose_name=_("former unit"), on_delete=models.PROTECT, related_name="+")
    to_area = models.ForeignKey(Area, verbose_name=_("successor unit"), on_delete=models.PROTECT, related_name="+")
    widens = models.BooleanField(_("widens the scope"), default=False)
    also_covers = models.JSONField(_("also covers"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RoleMoveStatus.choices, default=RoleMoveStatus.PROPOSED
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = RoleMoveQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposed role move")
        verbose_name_plural = _("proposed role moves")
        ordering = ["-widens", "to_area__name", "user__username", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "from_area"],
                condition=Q(status="proposed"),
                name="role_move_one_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role}: {self.from_area} → {self.to_area}"

    @property
    def role_label(self) -> str:
        from accounts.models import Role

        return Role(self.role).label if self.role in Role.values else self.role
