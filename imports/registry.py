"""Import kinds: kind → handler class (dotted path, imported on first use so apps do not import each other).

A new kind (``households``, ``visits``) adds one line here and an ``ImportHandler`` in its own app.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

KINDS: dict[str, str] = {
    "hamlets": "imports.hamlets.HamletImport",
    "members": "members.resources.MemberImport",
    "households": "households.resources.HouseholdImport",
    "targets": "reports.resources.TargetImport",
}


# What each kind writes, as a pair of the access policy (``areas.policy``): a user who may not take that action
# anywhere may not upload such a file at all (it is neither stored nor parsed).
RULES: dict[str, tuple[str, str]] = {
    "hamlets": ("area", "add"),
    "members": ("member", "add"),
    "households": ("household", "add"),
    "targets": ("target", "add"),
}


def kinds() -> list[str]:
    return list(KINDS)


def handler_class(kind: str):
    return import_string(KINDS[kind])
