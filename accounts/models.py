from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts import usernames
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
    @classmethod
    def normalize_username(cls, username):
        return usernames.normalize(username)


USERNAME_NOT_AVAILABLE = _("This username is not available: choose another.")
# Django's own salt: with session_epoch 0 the hash is Django's, so the sessions open before this change stay open.
_SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
_UNTRACKED = ["password", "last_login", "username_key", "session_epoch"]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude=_UNTRACKED)),
    pghistory.DeleteEvent(),
    exclude=_UNTRACKED,
)
class User(AbstractUser):
    """A login. What it may see and do comes only from its role assignments.

    ``username_key`` is the username's skeleton (``accounts.usernames``), unique: names that differ only in case,
    Unicode form or look-alike letters cannot both exist. Changing the password or deactivating the user deletes
    their API tokens and ends their sessions (``save``): the password is part of the sessions' hash (Django), and
    ``session_epoch``, raised at each deactivation, too, so a session does not come back with a reactivation.
    """

    username_validator = usernames.UsernameValidator()

    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_("Letters (with or without Vietnamese diacritics), digits and . _ - @ +; at most 150."),
        validators=[username_validator],
        error_messages={"unique": USERNAME_NOT_AVAILABLE},
    )
    username_key = models.CharField(max_length=600, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_is_active = instance.__dict__.get("is_active")
        return instance

    def _was_active(self) -> bool:
        if "_stored_is_active" in self.__dict__:
            return bool(self._stored_is_active)
        return User.objects.filter(pk=self.pk, is_active=True).exists()

    def save(self, *args, **kwargs):
        self.username = usernames.normalize(self.username)
        self.username_key = usernames.skeleton(self.username)
        password_changed = self._password is not None and self.pk is not None
        deactivated = self.pk is not None and not self.is_active and self._was_active()
        if deactivated:
            self.session_epoch += 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            if "username" in update_fields:
                update_fields.add("username_key")
            if deactivated:
                update_fields.add("session_epoch")
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)
        self._stored_is_active = self.is_active
        if password_changed or deactivated:
            self.revoke_tokens()

    def revoke_tokens(self) -> int:
        """Delete every API token of this user; how many there were."""
        from rest_framework.authtoken.models import Token

        return Token.objects.filter(user_id=self.pk).delete()[0]

    def _session_hash(self, secret=None) -> str:
        value = self.password if not self.session_epoch else f"{self.password}:{self.session_epoch}"
        return salted_hmac(_SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._session_hash()

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=secret)


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
