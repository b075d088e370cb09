"""What every import kind shares: reading .xlsx/.csv safely, Vietnamese headers, row errors, templates, exports.

A kind (``hamlets``, ``members``, ``households``; later ``visits``) is an ``ImportHandler`` subclass registered in
``imports.registry``. Its ``check`` validates every row (reads only; row errors never stop the check), and
``save`` writes them all in one transaction — only called when no row has an error.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from cnscd.text import clean_text
from imports import reading, xlsx
from imports.reading import MAX_CELL, FileError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 20_000  # data rows per file, unless a kind sets its own ``max_rows``
# Control characters (C0 but tab, line feed and carriage return; DEL; C1): NUL cannot be stored by PostgreSQL and
# none of them belongs in a name, code or address.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Vietnamese column title, as in the template
    required: bool = False
    help: str = ""
    example: str = ""
    max_length: int = MAX_CELL  # characters the column's field holds: longer cells are row errors when read


@dataclass
class RowError:
    row: int | None
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": str(self.message)}


@dataclass
class Result:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def _norm_header(value) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().strip("*").strip().lower()


def neutralise(value):
    """A cell value safe to open in a spreadsheet: text starting with = + - @ is kept as text, not a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def parse_date(value) -> date:
    """A date from an Excel cell or text: dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd. Raises ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def cell_text(value) -> str:
    """A cell as clean text (``cnscd.text.clean_text``: NFC, no zero-width characters, single spaces), so that
    names typed decomposed find their row; numbers typed in Excel come back as int/float: 912345678.0 →
    "912345678"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


class ImportHandler:
    """One kind of import. Subclasses set ``kind``, ``title``, ``columns``, ``instructions`` and implement
    ``check`` and ``save`` (and ``export_rows`` when the kind can be exported)."""

    kind: str = ""
    title: str = ""
    columns: list[Column] = []
    instructions: list[str] = []
    max_rows: int = MAX_ROWS
    # Kinds without date columns may read .xlsx with the fast streaming reader of imports.xlsx.
    fast_xlsx: bool = False

    def __init__(self, *, acting_user):
        self.acting_user = acting_user
        self.read_errors: list[RowError] = []

    def cell_errors(self, number: int, values: dict) -> list[RowError]:
        """The errors of a row's cells whatever the kind: too long, or holding control characters (NUL…)."""
        errors = []
        for key, value in values.items():
            if not isinstance(value, str):
                continue
            limit = self.column(key).max_length
            if len(value) > limit and len(clean_text(value)) > limit:  # the bound holds the clean text
                errors.append(RowError(number, self.header_of(key), _("At most %(n)s characters.") % {"n": limit}))
            elif CONTROL.search(value):
                errors.append(
                    RowError(
                        number,
                        self.header_of(key),
                        _("The cell holds an invisible control character (such as NUL); retype its text."),
                    )
                )
        return errors

    @classmethod
    def admit(cls, *, acting_user) -> None:
        """Refuse an upload before the file is stored by raising Django's ``PermissionDenied`` (roster imports: the
        daily limit of ``members.duplicates``, answered 429)."""

    # --- reading -------------------------------------------------------------------------------------------
    def read(self, fileobj, name: str) -> list[tuple[int, dict]]:
        """Every data row as (spreadsheet row number, {column key: raw value}); raises FileError.

        An .xlsx sheet is streamed (openpyxl read-only): only the kept rows are held in memory. A row with a cell
        that no kind may store (too long, control characters) is left out of the rows and its errors are kept in
        ``read_errors``: the dry run and the import both report them (an import saves nothing while there are any).
        """
        self.read_errors = []
        raw_rows = reading.raw_rows(fileobj, name, fast_xlsx=self.fast_xlsx)
        try:
            head = list(itertools.islice(raw_rows, 5))
            header_row_number, header = self._find_header(head)
            rows = []
            limit = self.max_rows
            count = 0
            for number, values in itertools.chain(head, raw_rows):
                if number <= header_row_number:
                    continue
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                count += 1
                kept = {key: values[i] if i < len(values) else None for i, key in header.items()}
                problems = self.cell_errors(number, kept)
                if problems:
                    self.read_errors.extend(problems)
                else:
                    rows.append((number, kept))
                if count > limit:
                    raise FileError(_("The file has more than %(n)s rows; split it into smaller files.") % {"n": limit})
        except xlsx.XlsxLimitError as error:
            raise FileError(error.message) from error
        except xlsx.XlsxError as error:
            raise FileError(_("This is not a valid Excel (.xlsx) file.")) from error
        finally:
            close = getattr(raw_rows, "close", None)
            if close is not None:
                close()
        return rows

    def _find_header(self, raw_rows: Iterable[tuple[int, list]]) -> tuple[int, dict[int, str]]:
        """The header row (within the first 5 rows): the one naming the most known columns."""
        wanted = {_norm_header(c.header): c.key for c in self.columns}
        wanted.update({c.key: c.key for c in self.columns})
        best: tuple[int, dict[int, str]] = (0, {})
        for number, values in itertools.islice(raw_rows, 5):
            found = {i: wanted[_norm_header(v)] for i, v in enumerate(values) if _norm_header(v) in wanted}
            if len(found) > len(best[1]):
                best = (number, found)
        missing = [c.header for c in self.columns if c.required and c.key not in best[1].values()]
        if missing:
            raise FileError(
                _("The file does not have the template's columns. Missing: %(columns)s. Download the template.")
                % {"columns": ", ".join(missing)}
            )
        return best

    # --- checking and saving (per kind) --------------------------------------------------------------------
    def check(self, rows: list[tuple[int, dict]], progress: Callable[[int], None]) -> list[RowError]:
        raise NotImplementedError

    def save(self) -> tuple[int, int, int]:
        """Write what ``check`` prepared; returns (created, updated, unchanged)."""
        raise NotImplementedError

    def header_of(self, key: str) -> str:
        return self.column(key).header

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def text(self, row: dict, key: str, errors: list[RowError], number: int) -> str:
        """A text cell, refusing formulas."""
        value = cell_text(row.get(key))
        if value[:1] == "'" and value[1:2] and value[1] in FORMULA_PREFIXES:
            value = value[1:]  # a cell of one of our exports, neutralised: read back what it was
        if value.startswith("="):
            errors.append(RowError(number, self.header_of(key), _("Formulas are not allowed; type the value.")))
            return ""
        return value

    # --- templates and exports -----------------------------------------------------------------------------
    def export_rows(self, queryset) -> Iterator[list]:
        raise NotImplementedError

    def workbook(self, rows=(), *, with_instructions: bool = True) -> Workbook:
        workbook = Workbook(write_only=False)
        sheet = workbook.active
        sheet.title = self.title[:31]
        sheet.append([c.header + (" *" if c.required else "") for c in self.columns])
        bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="C8102E")
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for i, column in enumerate(self.columns):
            sheet.column_dimensions[sheet.cell(row=1, column=i + 1).column_letter].width = max(
                14, len(column.header) + 4
            )
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([neutralise(v) for v in row])
        if with_instructions:
            guide = workbook.create_sheet(_("Instructions"))
            guide.column_dimensions["A"].width = 28
            guide.column_dimensions["B"].width = 90
            guide.append([_("How to fill in this file")])
            guide["A1"].font = Font(bold=True, size=14)
            for line in self.instructions:
                guide.append(["", str(line)])
            guide.append([])
            guide.append([_("Column"), _("What to type")])
            for c in self.columns:
                example = _("Example: %(value)s") % {"value": c.example} if c.example else ""
                note = f"{c.help} {example}".strip()
                guide.append([c.header + (" *" if c.required else ""), note])
        return workbook

    def template_rows(self) -> list[list]:
        return [[c.example for c in self.columns]]


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
