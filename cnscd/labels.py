"""The Vietnamese words of the portal's files (the import templates, their Instructions sheets, the exports): the
labels of the models' choices as the Vietnamese catalogue translates them, so that a file, a page and the API's
documentation say the same thing. Each importer adds the other spellings a file may use (``households.labels``,
``members.labels``)."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.functional import lazy


def vi_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """{value: Vietnamese label} of a model's choices, from the catalogue."""
    with translation.override("vi"):
        return {value: str(label) for value, label in choices.choices}


def _listed(title: str, choices: type[models.TextChoices]) -> str:
    return f"{title}: " + "; ".join(vi_labels(choices).values())


listed = lazy(_listed, str)  # a line of an Instructions sheet ("Vai trò: Tổ trưởng; …"), read when it is written
