from __future__ import annotations

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from areas import scoping


class Role(models.TextChoices):
    PROVINCE_ADMIN = scoping.PROVINCE_ADMIN, _("Province administrator")
    DISTRICT_OFFICER = scoping.DISTRICT_OFFICER, _("District officer")
    COMMUNE_OFFICER = scoping.COMMUNE_OFFICER, _("Commune officer")
    TEAM_LEADER = scoping.TEAM_LEADER, _("Team leader")
    TEAM_MEMBER = scoping.TEAM_MEMBER, _("Team member")
    VIEWER = scoping.VIEWER, _("Viewer")


# The level of unit each role is given on (viewers may be given any level).
ROLE_LEVELS = {
    Role.PROVINCE_ADMIN: {"province"},
    Role.DISTRICT_OFFICER: {"district"},
    Role.COMMUNE_OFFICER: {"commune"},
    Role.TEAM_LEADER: {"commune", "hamlet"},
    Role.TEAM_MEMBER: {"commune", "hamlet"},
    Role.VIEWER: {"province", "district", "commune", "hamlet"},
}


class UserQuerySet(models.QuerySet):
    def for_user(self, user, roles=None) -> UserQuerySet:
        """Users with at least one role inside ``user``'s scope (for ``roles``), and ``user`` themself."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        paths = scoping.scope_paths(user, roles)
        inside = RoleAssignment.objects.filter(scoping.path_q("area__path", paths)).values("user_id")
        return self.filter(models.Q(pk__in=inside) | models.Q(pk=user.pk))

    def restrict(self, user, action: str) -> UserQuerySet:
        from areas import policy

        return policy.restrict(self, user, action)


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude=["password", "last_login"])),
    pghistory.DeleteEvent(),
    exclude=["password", "last_login"],
)
class User(AbstractUser):
    """A login. What it may see and do comes only from its role assignments."""

    full_name = models.CharField(_("full name"), max_length=150, blank=True)

    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username


class RoleAssignmentQuerySet(scoping.ScopedQuerySet):
    pass


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RoleAssignment(models.Model):
    """A role on an administrative unit; its scope is that unit's subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey("areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "role", "area"], name="role_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.area}"
