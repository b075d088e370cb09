"""One spelling per text: how every name, code, address and note is cleaned before it is stored or searched.

Vietnamese typed on phones arrives composed (NFC: "Ấ" is one character) or decomposed (NFD: "A" + two combining
marks), sometimes with zero-width characters (U+200B–U+200D, U+2060, U+FEFF) or control characters pasted along.
Both spell the same name, so the portal keeps one: ``clean_text`` gives the NFC form without invisible or control
characters, with runs of spaces collapsed and the ends stripped. A note (``multiline``) keeps its line breaks and
tabs.

It is applied at every boundary — the API (``cnscd.serializers``), the pages and the admin (``cnscd.forms``, which
the model fields below hand to every model form), the imports (``imports.base.cell_text``) and searches — and the
database holds to it: ``constraints()`` gives each model the CHECK constraints that refuse a value that is not in
its clean form (so a unique rule on the stored value compares the clean forms, whatever path wrote it) and bound
the length of notes. ``normalise_stored`` rewrites what was stored before, for the data migrations.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan, LessThanOrEqual

# Characters no clean text holds, as (first, last) code points. Each table gives a Python and a PostgreSQL regex.
_INVISIBLE = [(0x200B, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF)]
_SPACE_LIKE = [(0x00A0, 0x00A0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F)]
_SPACE_LIKE += [(0x205F, 0x205F), (0x3000, 0x3000)]  # spaces other than " ": they become " "
_CONTROLS = [(0x00, 0x1F), (0x7F, 0x9F)]  # C0, DEL, C1
_CONTROLS_BUT_TAB_AND_LF = [(0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F)]


def _python_class(ranges) -> str:
    return "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]"


def _sql_class(ranges) -> str:
    """A PostgreSQL regex bracket expression (escapes, so the constraint's SQL holds no raw control character)."""
    ranges = [(max(a, 1), b) for a, b in ranges]  # PostgreSQL text cannot hold NUL anyway
    return "[" + "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]"


# Dropped from a line: invisible characters and the control characters that are not whitespace (tab, line breaks
# and the other spaces become one space).
_DROP_LINE = re.compile(_python_class(_INVISIBLE + [(0x00, 0x08), (0x0E, 0x1B), (0x7F, 0x84), (0x86, 0x9F)]))
_DROP_NOTE = re.compile(_python_class(_INVISIBLE + _CONTROLS_BUT_TAB_AND_LF))
_SPACES = re.compile(r"\s+")
_SPACES_BUT_TAB = re.compile(r"[^\S\t]+")

# What a stored value must not match: the CHECK constraints of ``constraints()``.
SQL_NOT_A_LINE = _sql_class(_INVISIBLE + _SPACE_LIKE + _CONTROLS) + "|^ | $|  "
SQL_NOT_A_NOTE = _sql_class(_INVISIBLE + _SPACE_LIKE + _CONTROLS_BUT_TAB_AND_LF)

NOTE_MAX_LENGTH = 2000  # characters of a note, a description, a reason


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` in its one spelling: NFC, without zero-width or control characters, spaces collapsed, stripped.

    A line (a name, a code, an address) becomes one line: tabs and line breaks are spaces. A ``multiline`` text
    (a note) keeps its lines (any line break becomes "\\n") and tabs; each line loses its trailing spaces.
    """
    if not value:
        return ""
    if multiline:
        lines = (_SPACES_BUT_TAB.sub(" ", _DROP_NOTE.sub("", line)).rstrip(" \t") for line in value.splitlines())
        value = "\n".join(lines).strip()
    else:
        value = _SPACES.sub(" ", _DROP_LINE.sub("", value)).strip()
    return unicodedata.normalize("NFC", value)


def is_clean(value: str, *, multiline: bool = False) -> bool:
    return clean_text(value, multiline=multiline) == value


# --- the database -----------------------------------------------------------------------------------------------
class IsNFC(models.Func):
    """``expression IS NFC NORMALIZED`` (PostgreSQL 13+, UTF8 database)."""

    template = "%(expressions)s IS NFC NORMALIZED"
    output_field = models.BooleanField()


def clean_condition(field: str, *, multiline: bool = False) -> Q:
    """The condition a stored value of ``field`` meets: its clean form (NFC, nothing ``clean_text`` removes)."""
    return Q(IsNFC(field)) & ~Q(**{f"{field}__regex": SQL_NOT_A_NOTE if multiline else SQL_NOT_A_LINE})


def constraints(prefix: str, *fields: str, notes: tuple[str, ...] = (), bounded: dict[str, int] | None = None):
    """The CHECK constraints of a model's text: ``fields`` (lines) and ``notes`` (multi-line) are stored clean,
    and every field of ``bounded`` (field → characters; by default each note, NOTE_MAX_LENGTH) holds at most
    that many characters (a TextField has no bound of its own)."""
    checks = [models.CheckConstraint(condition=clean_condition(f), name=f"{prefix}_{f}_clean") for f in fields]
    checks += [
        models.CheckConstraint(condition=clean_condition(f, multiline=True), name=f"{prefix}_{f}_clean") for f in notes
    ]
    bounds = {f: NOTE_MAX_LENGTH for f in notes} | (bounded or {})
    checks += [
        models.CheckConstraint(condition=LessThanOrEqual(Length(f), n), name=f"{prefix}_{f}_length")
        for f, n in bounds.items()
    ]
    return checks


# --- model fields: every model form (pages, admin) gets the cleaning form field ---------------------------------
class CharField(models.CharField):
    """A line of text (name, code, address): model forms clean it with ``cnscd.forms.CharField``."""

    def formfield(self, **kwargs):
        from cnscd import forms

        if not self.choices:
            kwargs.setdefault("form_class", forms.CharField)
        return super().formfield(**kwargs)


class TextField(models.TextField):
    """A multi-line note, bounded (``max_length``, NOTE_MAX_LENGTH by default; the database bound is the
    ``_length`` constraint of ``constraints()``): model forms clean it with ``cnscd.forms.TextField``."""

    def __init__(self, *args, max_length: int = NOTE_MAX_LENGTH, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)

    def formfield(self, **kwargs):
        from cnscd import forms

        kwargs.setdefault("form_class", forms.TextField)
        return super().formfield(**kwargs)


# --- data migrations ----------------------------------------------------------------------------------------------
def normalise_stored(
    model,
    *,
    fields: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
    unique: str | None = None,
    within: tuple[str, ...] = (),
    casefold: bool = False,
    where: dict | None = None,
    suffix: str = " ({n})",
) -> list[str]:
    """Rewrite the stored text of ``model`` that is not in its clean form; returns a line per row renamed.

    Only rows breaking a CHECK of ``constraints()`` are read. When the clean value of ``unique`` (unique
    ``within`` the other fields, ignoring case when ``casefold``, among the rows matching ``where``) is already
    another row's, the row keeps it with ``suffix`` ("Ấp 1 (2)"): nothing is deleted or merged, and the returned
    lines say which rows to check. Notes longer than NOTE_MAX_LENGTH are cut to it (also reported).
    """
    dirty = Q()
    for name in fields:
        dirty |= ~clean_condition(name)
    for name in notes:
        dirty |= ~clean_condition(name, multiline=True) | Q(GreaterThan(Length(name), NOTE_MAX_LENGTH))
    if not dirty:
        return []
    report = []
    rewritten = False
    label = model._meta.label
    for row in model._default_manager.filter(dirty).order_by("pk").values("pk", *within, *fields, *notes):
        values = {name: clean_text(row[name]) for name in fields}
        for name in notes:
            values[name] = clean_text(row[name], multiline=True)
            if len(values[name]) > NOTE_MAX_LENGTH:
                values[name] = values[name][:NOTE_MAX_LENGTH].rstrip()
                report.append(f"{label} {row['pk']}: {name} cut to {NOTE_MAX_LENGTH} characters")
        if unique and values[unique] != row[unique]:
            others = model._default_manager.filter(**(where or {}), **{f: row[f] for f in within}).exclude(pk=row["pk"])
            if where is None or model._default_manager.filter(pk=row["pk"], **where).exists():
                wanted, number = values[unique], 2
                lookup = f"{unique}__iexact" if casefold else unique
                limit = model._meta.get_field(unique).max_length
                while others.filter(**{lookup: values[unique]}).exists():
                    end = suffix.format(n=number)
                    values[unique] = wanted[: limit - len(end)].rstrip() + end
                    number += 1
                if values[unique] != wanted:
                    report.append(f"{label} {row['pk']}: “{wanted}” is taken, stored as “{values[unique]}”")
        model._default_manager.filter(pk=row["pk"]).update(**values)
        rewritten = True
    if rewritten:
        # The deferred foreign-key checks these updates queued would stop the ALTER TABLE of the same migration.
        with connections[model._default_manager.db].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return report


def print_report(report: list[str]) -> None:
    """What a data migration renamed or cut, on the output of ``migrate`` (for the operators to check)."""
    for line in report:
        print(f"  text: {line}")  # noqa: T201
