"""A roster file's rows, read for the import (``members.resources.MemberImport``): each row's cells, its unit, and
the member it is, in bulk (a few queries for the whole file). What the rows may not do to the rosters — two
leaders, a person active in another team, a leaving date in the future — is ``members.rules``, as for a page.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from areas import policy
from areas.models import Level
from imports.base import ImportHandler, RowError, cell_text, parse_date
from members import labels
from members.models import Gender, Member, MemberRole, Organization
from members.validators import citizen_id_hash, normalize_citizen_id, normalize_phone
from teams.models import Team

CHOICE_CELLS = (
    ("gender", Gender, gettext_lazy("Unknown gender “%(value)s”: use Nam, Nữ or Khác.")),
    ("organization", Organization, gettext_lazy("Unknown organisation “%(value)s”; see the Instructions sheet.")),
    ("role", MemberRole, gettext_lazy("Unknown role “%(value)s”: use Tổ trưởng, Tổ phó or Thành viên.")),
)


class _Cells:
    """The cells of one row and their errors, one per cell (a formula is not also "empty")."""

    def __init__(self, handler: ImportHandler, number: int, raw: dict):
        self.handler, self.number, self.raw = handler, number, raw
        self.errors: list[RowError] = []

    def text(self, key: str) -> str:
        return self.handler.text(self.raw, key, self.errors, self.number)

    def error(self, key: str, message: str) -> None:
        header = self.handler.header_of(key)
        if not any(e.field == header for e in self.errors):
            self.errors.append(RowError(self.number, header, message))


def clean_row(handler: ImportHandler, number: int, raw: dict) -> tuple[dict, list[RowError]]:
    """One row's values (``ok`` when every cell is valid) and the errors of its cells."""
    cells = _Cells(handler, number, raw)
    values: dict = {key: cells.text(key) for key in ("commune_code", "hamlet", "team_name", "full_name")}
    if not values["commune_code"]:
        cells.error("commune_code", _("Enter the commune code."))
    if not values["full_name"]:
        cells.error("full_name", _("Enter the member's full name."))
    values |= _choices(cells)
    values["birth_year"] = _birth_year(cells)
    values |= _identifiers(cells)
    values |= _dates(cells)
    values["ok"] = not cells.errors
    return values, cells.errors


def _choices(cells: _Cells) -> dict:
    """Gender, organisation and role: a choice's Vietnamese label, its value or an alias (``members.labels``)."""
    values = {}
    for key, choices, unknown in CHOICE_CELLS:
        text = cells.text(key)
        table = labels.lookup(choices)
        if not text and key == "role":
            values[key] = MemberRole.MEMBER
        elif text.lower() in table:
            values[key] = table[text.lower()]
        else:
            cells.error(key, unknown % {"value": text} if text else _("This column is required."))
    return values


def _birth_year(cells: _Cells) -> int | None:
    """A number of at most four digits (whether it is a plausible year is a roster rule)."""
    year = cell_text(cells.raw.get("birth_year"))
    if not year:
        return None
    if year.isdigit() and len(year) <= 4:
        return int(year)
    cells.error("birth_year", _("Birth year “%(value)s” is not a year.") % {"value": year})
    return None


def _identifiers(cells: _Cells) -> dict:
    """The phone and the citizen-ID (its keyed hash and last 4 digits). A row needs one of them: it is how the next
    import of the same file finds the member again."""
    values = {"phone": "", "citizen_id_hash": "", "citizen_id_last4": ""}
    phone = cells.text("phone")
    if phone:
        try:
            values["phone"] = normalize_phone(phone)
        except ValidationError as problem:
            cells.error("phone", f"“{phone}”: {problem.messages[0]}")
    citizen = cells.text("citizen_id")
    if citizen:
        try:
            number = normalize_citizen_id(citizen)
            values["citizen_id_hash"], values["citizen_id_last4"] = citizen_id_hash(number), number[-4:]
        except ValidationError as problem:
            cells.error("citizen_id", problem.messages[0])
    if not phone and not citizen:
        cells.error("phone", _("Enter a phone number or a citizen-ID."))
    return values


def _dates(cells: _Cells) -> dict:
    values = {}
    for key in ("joined_on", "left_on", "trained_on"):
        value = cells.raw.get(key)
        values[key] = None
        if value not in (None, ""):
            try:
                values[key] = parse_date(value)
            except ValueError:
                cells.error(key, _("“%(value)s” is not a date; use dd/mm/yyyy.") % {"value": cell_text(value)})
    return values


def resolve_areas(handler: ImportHandler, parsed: list[tuple[int, dict]], errors: list[RowError]) -> dict[int, Team]:
    """Each row's unit (``area``): communes and hamlets inside the user's scope only, anything else is "unknown".
    Returns the active teams of those units, by unit."""
    codes = {v["commune_code"] for _n, v in parsed if v["commune_code"]}
    scoped = policy.areas(handler.acting_user, "member", "add").current()
    communes = {a.code: a for a in scoped.filter(level=Level.COMMUNE, code__in=codes)}
    hamlets = {
        (h.parent_id, h.name.lower()): h
        for h in scoped.filter(level=Level.HAMLET, parent__in=[c.pk for c in communes.values()])
    }
    for number, values in parsed:
        values["area"] = None
        if not values["commune_code"]:
            continue
        commune = communes.get(values["commune_code"])
        if commune is None:
            unknown = _("Unknown commune code “%(code)s” (or outside your area).") % {"code": values["commune_code"]}
            errors.append(RowError(number, handler.header_of("commune_code"), unknown))
        elif not values["hamlet"]:
            values["area"] = commune
        elif (hamlet := hamlets.get((commune.pk, values["hamlet"].lower()))) is None:
            unknown = _("Unknown hamlet “%(name)s” in %(commune)s.")
            unknown %= {"name": values["hamlet"], "commune": commune.name}
            errors.append(RowError(number, handler.header_of("hamlet"), unknown))
        else:
            values["area"] = hamlet
        values["ok"] = values["ok"] and values["area"] is not None
    areas = {values["area"].pk for _n, values in parsed if values["area"]}
    return {team.area_id: team for team in Team.objects.active().filter(area_id__in=areas)}


def same_person_rows(handler: ImportHandler, parsed: list[tuple[int, dict]], errors: list[RowError]) -> None:
    """A person (a phone, a citizen-ID) is on one row of the file only: which member a row is must be clear."""
    seen: dict[tuple[str, str], int] = {}
    for number, values in parsed:
        for key, column in (("phone", "phone"), ("citizen_id_hash", "citizen_id")):
            if not (value := values.get(key)):
                continue
            if (key, value) in seen:
                message = _("Same person as row %(row)s of this file.") % {"row": seen[(key, value)]}
                errors.append(RowError(number, handler.header_of(column), message))
                values["ok"] = False
            else:
                seen[(key, value)] = number


def match_members(parsed: list[tuple[int, dict]], teams: dict[int, Team]) -> None:
    """Each valid row's ``member`` on the portal, by phone or citizen-ID: the active member of the row's team, else
    a former member of that team who joined on the same day; ``None`` for someone new to the team (if they are
    active in another team, the roster rules refuse the row)."""
    phones = {v["phone"] for _n, v in parsed if v.get("phone")}
    hashes = {v["citizen_id_hash"] for _n, v in parsed if v.get("citizen_id_hash")}
    found: dict[tuple[str, str], list[Member]] = defaultdict(list)
    for member in Member.objects.filter(Q(phone__in=phones) | Q(citizen_id_hash__in=hashes)):
        for key in ("phone", "citizen_id_hash"):
            if getattr(member, key):
                found[(key, getattr(member, key))].append(member)
    for _number, values in parsed:
        values["member"] = None
        team = teams.get(values["area"].pk) if values["ok"] else None
        if team is None:
            continue
        candidates = found.get(("phone", values["phone"]), []) + found.get(
            ("citizen_id_hash", values["citizen_id_hash"]), []
        )
        active = [m for m in candidates if m.left_on is None]
        if active:
            values["member"] = active[0] if active[0].team_id == team.pk else None
            continue
        same = [m for m in candidates if m.team_id == team.pk and m.joined_on == values["joined_on"]]
        values["member"] = same[0] if same else None
