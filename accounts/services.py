"""Writes on users and their role assignments: who may grant what."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.models import ROLE_LEVELS, RoleAssignment, User
from areas import scoping
from areas.models import Area


def role_grant_check(*, acting_user: User, role: str, area: Area) -> None:
    """Raise unless ``acting_user`` may give ``role`` on ``area``: never above nor outside their own."""
    if area.level not in ROLE_LEVELS[role]:
        raise ValidationError({"assignments": [_("This role cannot be given on a unit of this level.")]})
    if acting_user.is_superuser:
        return
    for held_role, path in acting_user.role_assignments.values_list("role", "area__path"):
        if (
            held_role in scoping.USER_MANAGERS
            and area.path.startswith(path)
            and scoping.ROLE_RANK[held_role] >= scoping.ROLE_RANK[role]
        ):
            return
    raise PermissionDenied(_("You cannot grant a role above your own or outside your area."))


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as error:
        raise ValidationError({"password": list(error.messages)}) from error
    user.set_password(password)


def _replace_assignments(user: User, assignments: Iterable[dict], acting_user: User) -> None:
    wanted = {(a["role"], a["area"].pk): a for a in assignments}
    current = {(a.role, a.area_id): a for a in user.role_assignments.select_related("area")}
    for key, assignment in current.items():
        if key not in wanted:
            role_grant_check(acting_user=acting_user, role=assignment.role, area=assignment.area)
            assignment.delete()
    for key, assignment in wanted.items():
        if key not in current:
            role_grant_check(acting_user=acting_user, role=assignment["role"], area=assignment["area"])
            RoleAssignment.objects.create(user=user, role=assignment["role"], area=assignment["area"])


def user_manageable_check(*, acting_user: User, user: User) -> None:
    """Raise unless every role of ``user`` is one ``acting_user`` could grant (so a commune officer cannot
    edit a province admin, nor a user who also works in another commune)."""
    if acting_user.is_superuser:
        return
    if user.is_superuser:
        raise PermissionDenied(_("You cannot change this user."))
    for assignment in user.role_assignments.select_related("area"):
        role_grant_check(acting_user=acting_user, role=assignment.role, area=assignment.area)
    if not user.role_assignments.exists() and user != acting_user:
        raise PermissionDenied(_("You cannot change this user."))


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
    if not assignments and not acting_user.is_superuser:
        raise ValidationError({"assignments": [_("Give the user at least one role.")]})
    for assignment in assignments:
        role_grant_check(acting_user=acting_user, role=assignment["role"], area=assignment["area"])
    user = User(username=username, full_name=full_name, email=email, is_active=is_active)
    _set_password(user, password)
    user.save()
    _replace_assignments(user, assignments, acting_user)
    return user


@transaction.atomic
def user_update(
    *, acting_user: User, user: User, password: str | None = None, assignments: list[dict] | None = None, **fields
) -> User:
    user_manageable_check(acting_user=acting_user, user=user)
    for field, value in fields.items():
        setattr(user, field, value)
    if password:
        _set_password(user, password)
    user.save()
    if assignments is not None:
        if not assignments and not acting_user.is_superuser:
            raise ValidationError({"assignments": [_("Give the user at least one role.")]})
        _replace_assignments(user, assignments, acting_user)
    return user
