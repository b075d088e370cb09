"""The access policy: who may do what, in one table, and the two checks every surface calls.

``POLICY[model][action]`` names the roles that may take ``action`` on ``model``; the scope of the action is the
union of the subtrees of the user's assignments of those roles (``areas.scoping``). Superusers may do
everything; an action missing from the table raises (a typo must fail a test, never open a door); a user with
none of the roles gets nothing: lists are empty, objects are 404, creations are refused. Every surface — API
viewsets (``cnscd.api``), pages and htmx partials, exports, imports, Celery tasks started by a user — calls:

* ``restrict(queryset, user, action)`` (also ``queryset.restrict(user, action)``): the rows ``user`` may
  ``action``;
* ``permits(user, model, action, area=None)``: whether ``user`` may ``action`` on ``model`` at all (no area) or on
  an object of ``area``.

The Django admin is reserved to superusers (``cnscd.admin``), so it needs no rows here.
"""

from __future__ import annotations

from django.db import models

from areas import scoping
from areas.scoping import (
    ALL_ROLES,
    COMMUNE_OFFICER,
    DISTRICT_OFFICER,
    PROVINCE_ADMIN,
    TEAM_LEADER,
    TEAM_MEMBER,
)

SUPERUSERS_ONLY: tuple[str, ...] = ()
OFFICERS = (PROVINCE_ADMIN, DISTRICT_OFFICER, COMMUNE_OFFICER)
# Personal data (docs/SPEC.md §4): everyone but viewers, who read dashboards and reports only.
PERSONAL_DATA_READERS = (PROVINCE_ADMIN, DISTRICT_OFFICER, COMMUNE_OFFICER, TEAM_LEADER, TEAM_MEMBER)
# Exports and printouts of personal data (rosters, households, checklists for the rounds).
PERSONAL_DATA_EXPORTERS = (PROVINCE_ADMIN, DISTRICT_OFFICER, COMMUNE_OFFICER, TEAM_LEADER)
AREA_WRITERS = (PROVINCE_ADMIN, COMMUNE_OFFICER)
ROSTER_WRITERS = (PROVINCE_ADMIN, COMMUNE_OFFICER, TEAM_LEADER)
HOUSEHOLD_WRITERS = (PROVINCE_ADMIN, COMMUNE_OFFICER, TEAM_LEADER)
VISIT_WRITERS = (PROVINCE_ADMIN, COMMUNE_OFFICER, TEAM_LEADER, TEAM_MEMBER)
VISIT_DELEGATES = (PROVINCE_ADMIN, COMMUNE_OFFICER, TEAM_LEADER)

POLICY: dict[str, dict[str, tuple[str, ...]]] = {
    "area": {
        "view": ALL_ROLES,
        "add": AREA_WRITERS,
        "change": AREA_WRITERS,
        "delete": AREA_WRITERS,
    },
    "user": {
        # Accounts: these roles may manage users at all; whom (inside their units, strictly below their own rank)
        # is accounts.services.user_manage_check.
        "view": OFFICERS,
        "add": AREA_WRITERS,
        "change": AREA_WRITERS,
    },
    "team": {
        "view": ALL_ROLES,
        "add": AREA_WRITERS,
        "change": AREA_WRITERS,
        "dissolve": AREA_WRITERS,
        "delete": AREA_WRITERS,
    },
    "member": {
        "view": ALL_ROLES,
        "view_personal": PERSONAL_DATA_READERS,  # phone, citizen-ID digits, e-mail
        "add": ROSTER_WRITERS,
        "change": ROSTER_WRITERS,
        "retire": ROSTER_WRITERS,
        "delete": ROSTER_WRITERS,
        "export": PERSONAL_DATA_EXPORTERS,
    },
    "trainingsession": {
        "view": ALL_ROLES,
        "add": ROSTER_WRITERS,
        "change": ROSTER_WRITERS,
        "delete": ROSTER_WRITERS,
    },
    "household": {
        "view": PERSONAL_DATA_READERS,
        # Full phones: users assigned to the household's commune or below (docs/SPEC.md §4); everyone else who may
        # view sees them masked. households.services.household_phone_visible applies the "or below" part.
        "view_phone": (COMMUNE_OFFICER, TEAM_LEADER, TEAM_MEMBER),
        "add": HOUSEHOLD_WRITERS,
        "change": HOUSEHOLD_WRITERS,
        "delete": HOUSEHOLD_WRITERS,
        "export": PERSONAL_DATA_EXPORTERS,
        "checklist": PERSONAL_DATA_EXPORTERS,  # the printed list of a hamlet's households, for the rounds
    },
    "visit": {
        "view": PERSONAL_DATA_READERS,
        "add": VISIT_WRITERS,
        "add_for_member": VISIT_DELEGATES,  # a visit in another member's name
        "change": VISIT_DELEGATES,
        "delete": VISIT_DELEGATES,
    },
    "activitytype": {"view": ALL_ROLES, "change": SUPERUSERS_ONLY},
    "indicator": {"view": ALL_ROLES, "change": SUPERUSERS_ONLY},
    "target": {
        "view": ALL_ROLES,
        "add": (PROVINCE_ADMIN,),
        "change": (PROVINCE_ADMIN,),
        "delete": (PROVINCE_ADMIN,),
    },
    "kpi": {"view": ALL_ROLES, "refresh": OFFICERS},
    "report": {
        "view": ALL_ROLES,
        "add": OFFICERS,
        "submit": OFFICERS,
        "approve": (PROVINCE_ADMIN,),  # never by the person who submitted it (reports.services)
        "return": (PROVINCE_ADMIN,),
    },
    "importjob": {
        # Who may upload a file at all; each kind then demands its own model's "add"/"change" (imports.services).
        "view": ROSTER_WRITERS,
        "add": ROSTER_WRITERS,
    },
    "exportlog": {"view": OFFICERS},
    # The reorganisation's plan of role moves (areas.models.RoleMove): a role on a former commune reaches the
    # merged commune only when a province administrator confirms it.
    "rolemove": {"view": (PROVINCE_ADMIN,), "confirm": (PROVINCE_ADMIN,)},
    "dashboard": {"view": ALL_ROLES},
}


def model_key(model: type[models.Model] | str) -> str:
    return model if isinstance(model, str) else model._meta.model_name


def roles(model: type[models.Model] | str, action: str) -> tuple[str, ...]:
    """The roles that may take ``action`` on ``model``. Raises ``LookupError`` for a pair the table lacks."""
    key = model_key(model)
    try:
        return POLICY[key][action]
    except KeyError:
        raise LookupError(f"the access policy has no rule for {key}.{action}") from None


def restrict(queryset: models.QuerySet, user, action: str) -> models.QuerySet:
    """The rows of ``queryset`` that ``user`` may ``action`` (none for a user without the roles)."""
    return queryset.for_user(user, roles=roles(queryset.model, action))


def permits(user, model: type[models.Model] | str, action: str, area=None) -> bool:
    """Whether ``user`` may ``action`` on ``model``: anywhere (``area`` None) or on an object of ``area``."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    allowed = roles(model, action)
    if area is None:
        return scoping.holds_role(user, allowed)
    return scoping.area_in_scope(user, area, allowed)


def areas(user, model: type[models.Model] | str, action: str) -> models.QuerySet:
    """The units under which ``user`` may ``action`` on ``model`` (the hamlets a new household may name…)."""
    from areas.models import Area

    return Area.objects.for_user(user, roles=roles(model, action))
