"""Writes on users and their role assignments: who may create, change, deactivate or reset whom.

The hierarchy lives in one function, ``user_manage_check``, which the API and any page call before a write:

* Superusers manage everyone; only a superuser manages a superuser or a login without a role.
* Anyone else manages a user only if they hold a role the access policy lets manage users
  (``areas.policy``: ``user.change``; ``user.add`` for creations) and every role of that user lies inside one of
  those roles' units and ranks strictly below it: a province admin manages the province's district and commune
  officers, team logins and viewers, never another province admin; a commune officer manages the team logins
  (team leaders, team members, viewers on the commune or its hamlets) of his commune, never another commune
  officer, anyone above, or a user who also holds a role elsewhere.
* Everyone changes their own name, e-mail and password (the current password is asked), never their own
  username, roles or active flag.

A user outside the requester's ``view`` scope is a 404 before this is asked (the API's queryset); inside it a
refusal is a 403 saying why. Roles are granted by the same rule (``role_grant_check``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts import usernames
from accounts.models import ROLE_LEVELS, USERNAME_NOT_AVAILABLE, RoleAssignment, User
from areas import policy, scoping
from areas.models import Area

SELF_SERVICE_FIELDS = frozenset({"full_name", "email", "password"})


def _rank_over(acting_user: User, area: Area, action: str) -> int:
    """The highest rank among ``acting_user``'s roles that may ``user.<action>`` on ``area`` or above it."""
    allowed = policy.roles("user", action)
    return max(
        (
            scoping.ROLE_RANK[role]
            for role, path in scoping.role_paths(acting_user)
            if role in allowed and area.path.startswith(path)
        ),
        default=0,
    )


def _may_hold(acting_user: User, role: str, area: Area, action: str) -> bool:
    """Whether ``acting_user`` stands above ``role`` on ``area`` (inside their unit, strictly higher rank)."""
    return acting_user.is_superuser or _rank_over(acting_user, area, action) > scoping.ROLE_RANK[role]


def role_grant_check(*, acting_user: User, role: str, area: Area, action: str = "add") -> None:
    """Raise unless ``acting_user`` may give (or take away) ``role`` on ``area``: only roles below their own,
    on units inside their own."""
    if area.level not in ROLE_LEVELS[role]:
        raise ValidationError({"assignments": [_("This role cannot be given on a unit of this level.")]})
    if not _may_hold(acting_user, role, area, action):
        raise PermissionDenied(_("You can give only roles below your own, on units inside your area."))


def user_manage_check(*, acting_user: User, user: User, changes: Iterable[str] = (), action: str = "change") -> None:
    """Raise ``PermissionDenied`` (a 403 with the reason) unless ``acting_user`` may make ``changes`` (field
    names; ``assignments`` for the roles) to ``user``. The module's docstring states the rule."""
    changes = set(changes)
    if acting_user.is_superuser:
        return
    if user.pk == acting_user.pk:
        if changes - SELF_SERVICE_FIELDS:
            raise PermissionDenied(
                _("You cannot change your own username, roles or active status: ask whoever manages your account.")
            )
        return
    if user.is_superuser:
        raise PermissionDenied(_("Only a superuser can change this user."))
    if not policy.permits(acting_user, "user", action):
        raise PermissionDenied(_("Your role does not allow managing users."))
    assignments = list(user.role_assignments.select_related("area"))
    if not assignments:
        raise PermissionDenied(_("Only a superuser can change a login without a role."))
    if not all(_may_hold(acting_user, a.role, a.area, action) for a in assignments):
        raise PermissionDenied(
            _("You can manage only logins whose roles all lie inside your area and below your own role.")
        )


def username_available_check(*, username: str, user: User | None = None) -> str:
    """The stored spelling of ``username``; raise (the same words whoever holds it, wherever) if it, or a name
    that looks the same, is taken."""
    username = usernames.normalize(username)
    taken = User.objects.filter(username_key=usernames.skeleton(username))
    if user is not None and user.pk is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError({"username": [str(USERNAME_NOT_AVAILABLE)]})
    return username


def _save(user: User) -> None:
    """Save, turning a race on the username's unique rules into the check's own 400."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        diag = getattr(error.__cause__, "diag", None)
        if getattr(error.__cause__, "sqlstate", None) == "23505" and getattr(diag, "table_name", "") == "accounts_user":
            raise ValidationError({"username": [str(USERNAME_NOT_AVAILABLE)]}) from error
        raise


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": list(error.messages)}) from error
    user.set_password(password)


def _replace_assignments(user: User, assignments: Iterable[dict], acting_user: User, action: str) -> None:
    wanted = {(a["role"], a["area"].pk): a for a in assignments}
    current = {(a.role, a.area_id): a for a in user.role_assignments.select_related("area")}
    for key, assignment in current.items():
        if key not in wanted:
            role_grant_check(acting_user=acting_user, role=assignment.role, area=assignment.area, action=action)
            assignment.delete()
    for key, assignment in wanted.items():
        if key not in current:
            role_grant_check(acting_user=acting_user, role=assignment["role"], area=assignment["area"], action=action)
            RoleAssignment.objects.create(user=user, role=assignment["role"], area=assignment["area"])


@transaction.atomic
def user_create(
    *,
    acting_user: User,
    username: str,
    password: str,
    assignments: list[dict],
    full_name: str = "",
    email: str = "",
    is_active: bool = True,
) -> User:
    if not acting_user.is_superuser and not policy.permits(acting_user, "user", "add"):
        raise PermissionDenied(_("Your role does not allow managing users."))
    if not assignments and not acting_user.is_superuser:
        raise ValidationError({"assignments": [_("Give the user at least one role.")]})
    for assignment in assignments:
        role_grant_check(acting_user=acting_user, role=assignment["role"], area=assignment["area"])
    username = username_available_check(username=username)
    user = User(username=username, full_name=full_name, email=email, is_active=is_active)
    _set_password(user, password)
    _save(user)
    _replace_assignments(user, assignments, acting_user, "add")
    return user


@transaction.atomic
def user_update(
    *,
    acting_user: User,
    user: User,
    password: str | None = None,
    current_password: str | None = None,
    assignments: list[dict] | None = None,
    **fields,
) -> User:
    """Change ``user``. A new password or ``is_active: false`` deletes the user's API tokens and ends their
    sessions (``User.save``); changing one's own password needs ``current_password``."""
    changes = {field for field, value in fields.items() if getattr(user, field) != value}
    if password:
        changes.add("password")
    if assignments is not None:
        wanted = {(a["role"], a["area"].pk) for a in assignments}
        if wanted != set(user.role_assignments.values_list("role", "area_id")):
            changes.add("assignments")
    user_manage_check(acting_user=acting_user, user=user, changes=changes)
    if password and user.pk == acting_user.pk and not user.check_password(current_password or ""):
        raise ValidationError({"current_password": [_("To change your own password, give your current one.")]})
    if "username" in changes:
        fields["username"] = username_available_check(username=fields["username"], user=user)
    for field in changes & set(fields):
        setattr(user, field, fields[field])
    if password:
        _set_password(user, password)
    _save(user)
    if "assignments" in changes:
        if not assignments and not acting_user.is_superuser:
            raise ValidationError({"assignments": [_("Give the user at least one role.")]})
        _replace_assignments(user, assignments, acting_user, "change")
    return user


def logout_tokens(*, acting_user: User) -> int:
    """The API's logout: delete ``acting_user``'s API tokens (how many)."""
    return acting_user.revoke_tokens()
