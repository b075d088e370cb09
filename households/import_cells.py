"""The cells of a household file, one function each: (the value, the problems) from the text of a cell.

Pure functions of the text (and, for the hamlet, of the places the handler read), so that they can be tested
without a file; ``households.resources.HouseholdImport`` reports the problems, one per cell.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from areas.models import Area
from cnscd import phones
from households import labels
from imports.base import cell_text

SEPARATORS = re.compile(r"[,;]")
MAX_SIZE = 100
Problems = list[tuple[str, str]]  # (column key, message)
TEXTS = ("commune_code", "hamlet", "code", "head_name", "address", "phone", "categories")


def yes_no(value) -> bool | None:
    """Có/Không (also x, 1/0, TRUE/FALSE, an Excel tick); None when the cell says something else."""
    text = cell_text(value).lower()
    yes, no = labels.yes_no_cells()
    if text in yes:
        return True
    if text in no:
        return False
    return None


def text_problems(cells: dict[str, str]) -> Problems:
    """The required texts and their lengths (the model's)."""
    problems: Problems = []
    required = {
        "commune_code": _("Enter the commune code."),
        "hamlet": _("Enter the hamlet's name."),
        "code": _("Enter the household code."),
        "head_name": _("Enter the name of the head of household."),
    }
    problems += [(key, message) for key, message in required.items() if not cells[key]]
    for key, limit in (("code", 30), ("head_name", 150), ("address", 255)):
        if len(cells[key]) > limit:
            problems.append((key, _("At most %(n)s characters.") % {"n": limit}))
    return problems


def size(text: str) -> tuple[int, Problems]:
    """The number of people, a whole number from 1 to MAX_SIZE (empty: 1)."""
    if not text:
        return 1, []
    try:
        size = int(float(text.replace(",", ".")))
        if size != float(text.replace(",", ".")):
            raise ValueError
    except ValueError:
        size = 0
    if 1 <= size <= MAX_SIZE:
        return size, []
    message = _("“%(value)s”: the number of people is a whole number from 1 to %(max)s.")
    return size, [("size", message % {"value": text, "max": MAX_SIZE})]


def yes_nos(raw: dict) -> tuple[dict[str, bool | None], Problems]:
    values = {key: yes_no(raw.get(key)) for key in ("consent_given", "has_smartphone")}
    problems = [
        (key, _("“%(value)s”: write Có or Không.") % {"value": cell_text(raw.get(key))})
        for key, value in values.items()
        if value is None
    ]
    return values, problems


def phone(text: str, consent: bool | None, consent_header: str) -> tuple[str, Problems]:
    """The consent rule (``services.household_consent``) and the phone rule (``cnscd.phones``) for a cell; a masked
    number from an export is checked against the portal later (``_unmask``)."""
    if not text:
        return text, []
    if consent is False:
        message = _("A phone number can only be kept when the household has consented (column “%(column)s”).")
        return text, [("phone", message % {"column": consent_header})]
    if "*" in text:
        return text, []
    try:
        return phones.household(text), []
    except ValidationError as problem:
        return text, [("phone", f"“{text}”: {problem.messages[0]}")]


def categories(text: str) -> tuple[list[str], Problems]:
    found: list[str] = []
    problems: Problems = []
    for part in SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        category = labels.categories().get(part.lower())
        if category is None:
            message = _("Unknown category “%(value)s”; see the Instructions sheet.")
            problems.append(("categories", message % {"value": part}))
        elif category not in found:
            found.append(category)
    return found, problems


def hamlet_of(
    communes: dict[str, Area], hamlets: dict[tuple[int, str], int], commune_code: str, hamlet_name: str
) -> tuple[int | None, tuple[str, str] | None]:
    """(the hamlet's id, None), or (None, (column key, message)) for a commune or hamlet unknown in the user's
    scope."""
    commune = communes.get(commune_code)
    if commune is None:
        message = _("Unknown commune code “%(code)s” (or outside your area).")
        return None, ("commune_code", message % {"code": commune_code})
    hamlet_id = hamlets.get((commune.pk, hamlet_name.lower()))
    if hamlet_id is None:
        message = _("Unknown hamlet “%(name)s” in %(commune)s (or outside your area).")
        return None, ("hamlet", message % {"name": hamlet_name, "commune": commune.name})
    return hamlet_id, None
