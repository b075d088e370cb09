"""The scoping mechanism: which rows lie inside a user's scope for some roles.

A user's scope is the union of the subtrees of the areas of their role assignments. Every model that has an
area uses ``ScopedQuerySet`` (``Model.objects.restrict(user, action)``, which asks ``areas.policy`` for the
roles of the action); the base API viewset, the pages, exports and tasks all call it, so the rule is written
here once. Subtrees are resolved through the stored
``Area.path`` ("/1/23/456/"), so "everything under X" is one indexed ``LIKE 'X%'``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q

# Roles, highest first. A role may grant only roles of at most its own rank, inside its own scope.
PROVINCE_ADMIN = "province_admin"
DISTRICT_OFFICER = "district_officer"
COMMUNE_OFFICER = "commune_officer"
TEAM_LEADER = "team_leader"
TEAM_MEMBER = "team_member"
VIEWER = "viewer"

ROLE_RANK = {
    PROVINCE_ADMIN: 60,
    DISTRICT_OFFICER: 50,
    COMMUNE_OFFICER: 40,
    TEAM_LEADER: 30,
    TEAM_MEMBER: 20,
    VIEWER: 10,
}
ALL_ROLES = tuple(ROLE_RANK)
# Who may do what with these roles is the access policy's table (areas.policy), nowhere else.


def _minimal(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie under another path of the list."""
    result: list[str] = []
    for path in sorted(set(paths)):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


ROLE_PATHS_CACHE = "_role_paths"  # on the user object


def role_paths(user) -> list[tuple[str, str]]:
    """Every (role, area path) ``user`` holds, read once and cached on the user object for the length of a request.

    The API's token authentication reads them in its own query (``accounts.authentication``) and leaves them here.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    cache = user.__dict__
    if ROLE_PATHS_CACHE not in cache:
        cache[ROLE_PATHS_CACHE] = list(user.role_assignments.values_list("role", "area__path"))
    return cache[ROLE_PATHS_CACHE]


def scope_paths(user, roles: Iterable[str] | None = None) -> list[str]:
    """The area paths whose subtrees form ``user``'s scope for ``roles`` (all roles when None), cached like
    ``role_paths`` (a bulk sync asks for each of its visits)."""
    held = role_paths(user)
    if not held:
        return []
    key = None if roles is None else frozenset(roles)
    cache = user.__dict__.setdefault("_scope_paths", {})
    if key not in cache:
        cache[key] = _minimal(path for role, path in held if key is None or role in key)
    return cache[key]


def path_q(field: str, paths: Iterable[str]) -> Q:
    """``Q`` matching rows whose ``field`` (an Area path) lies under one of ``paths``."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows where its rows' area is (``area_path_field``) and filters by the user's scope."""

    area_path_field = "area__path"

    def for_user(self, user, roles: Iterable[str] | None = None) -> ScopedQuerySet:
        """Rows inside ``user``'s scope for ``roles`` (default: any role). Superusers see everything."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        paths = scope_paths(user, roles)
        if not paths:
            return self.none()
        return self.filter(path_q(self.area_path_field, paths))

    def restrict(self, user, action: str) -> ScopedQuerySet:
        """Rows ``user`` may ``action``, by the access policy's table (``areas.policy``)."""
        from areas import policy

        return policy.restrict(self, user, action)


def holds_role(user, roles: Iterable[str]) -> bool:
    """Whether ``user`` holds one of ``roles`` anywhere (superusers hold every role): the check before an action
    that only some roles may take, whose objects are then looked up in that scope."""
    return user.is_superuser or bool(scope_paths(user, roles))


def area_in_scope(user, area, roles: Iterable[str] | None = None) -> bool:
    """Whether ``area`` lies inside ``user``'s scope for ``roles``."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(area.path.startswith(p) for p in scope_paths(user, roles))


def max_rank_at(user, area) -> int:
    """The highest role rank ``user`` holds on ``area`` or one of its ancestors (0 when none)."""
    if user.is_superuser:
        return max(ROLE_RANK.values()) + 1
    ranks = [ROLE_RANK[role] for role, path in role_paths(user) if area.path.startswith(path)]
    return max(ranks, default=0)
