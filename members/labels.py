"""The Vietnamese words of a roster file (its cells, its Instructions sheet, the export): the labels of the model's
choices as the Vietnamese catalogue translates them — one wording for the pages, the API's documentation and the
files — and the other spellings a file may use.
"""

from __future__ import annotations

from functools import cache

from django.db import models

from cnscd.labels import vi_labels
from members.models import Gender, MemberRole, Organization

# Cells the import accepts besides a choice's value and its Vietnamese label (lower case).
ALIASES: dict[type[models.TextChoices], dict[str, str]] = {
    Organization: {
        "đoàn tn": Organization.YOUTH_UNION,
        "hội phụ nữ": Organization.WOMEN_UNION,
        "phụ nữ": Organization.WOMEN_UNION,
        "doanh nghiệp": Organization.ENTERPRISE,
        "vnpt": Organization.ENTERPRISE,
        "viettel": Organization.ENTERPRISE,
        "bưu điện": Organization.ENTERPRISE,
    },
    MemberRole: {"trưởng": MemberRole.LEADER, "phó": MemberRole.DEPUTY, "tổ viên": MemberRole.MEMBER},
    Gender: {},
}


@cache
def lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Cell text in lower case → the choice's value: the value itself, its Vietnamese label, an alias."""
    table = {value.lower(): value for value in choices.values}
    table |= {label.lower(): value for value, label in vi_labels(choices).items()}
    return table | {alias: str(value) for alias, value in ALIASES[choices].items()}
