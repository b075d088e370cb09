"""The rows of an uploaded file, read safely and one at a time, whatever the kind (``imports.base.ImportHandler``):
a UTF-8 .csv (comma or semicolon) or the first sheet of an .xlsx, bounded before anything is parsed (zip bombs,
rows, columns: ``imports.xlsx``), each row at most ``MAX_COLUMNS`` cells.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from imports import xlsx

MAX_CELL = 2_000  # characters in one cell of a template column (the longest field, a note, holds 2,000)
MAX_COLUMNS = xlsx.MAX_COLUMNS


class FileError(Exception):
    """The file as a whole cannot be read (wrong format, encoding, headers, size): nothing is imported.
    ``row`` is the spreadsheet row where reading stopped, when there is one."""

    def __init__(self, message, row: int | None = None):
        super().__init__(message)
        self.row = row


def raw_rows(fileobj, name: str, *, fast_xlsx: bool = False) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cell values) of every row; raises FileError. ``fast_xlsx``: the streaming reader
    of ``imports.xlsx`` (kinds without date columns)."""
    lower = name.lower()
    if lower.endswith(".csv"):
        return _csv_file(fileobj)
    if not lower.endswith(".xlsx"):
        raise FileError(_("Upload an Excel (.xlsx) or CSV file."))
    try:
        xlsx.check_archive(fileobj)  # before anything is parsed: zip bombs, rows and columns
        if fast_xlsx:
            return xlsx.iter_rows(fileobj)
    except xlsx.XlsxLimitError as error:
        raise FileError(error.message) from error
    except xlsx.XlsxError as error:
        raise FileError(_("This is not a valid Excel (.xlsx) file.")) from error
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileError(_("This is not a valid Excel (.xlsx) file.")) from error
    return _sheet_rows(workbook)


def _csv_file(fileobj) -> Iterator[tuple[int, list]]:
    try:
        text = fileobj.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(
            _("The CSV file is not in UTF-8. In Excel choose “CSV UTF-8 (comma delimited)” when saving.")
        ) from error
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return _csv_rows(csv.reader(io.StringIO(text), delimiter=delimiter))


def _bounded(number: int, values: list) -> list:
    """A row of at most MAX_COLUMNS cells (empty cells beyond are dropped), within the sheet's row bound."""
    if number > xlsx.MAX_ROWS or (len(values) > MAX_COLUMNS and any(v not in (None, "") for v in values[MAX_COLUMNS:])):
        raise FileError(
            _("The sheet has more than %(rows)s rows or %(columns)s columns; split it into smaller files.")
            % {"rows": f"{xlsx.MAX_ROWS:,}".replace(",", "."), "columns": MAX_COLUMNS},
            row=number,
        )
    return values[:MAX_COLUMNS]


def _csv_rows(reader) -> Iterator[tuple[int, list]]:
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            yield number, _bounded(number, [v if v != "" else None for v in row])
    except csv.Error as error:  # a field over the csv module's own limit (131,072 characters), a stray quote
        raise FileError(
            _("Row %(row)s cannot be read: a cell is longer than %(n)s characters or its quotes do not match.")
            % {"row": number + 1, "n": MAX_CELL},
            row=number + 1,
        ) from error


def _sheet_rows(workbook) -> Iterator[tuple[int, list]]:
    """The first sheet's rows, one at a time; the workbook is closed when the generator is."""
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, _bounded(number, list(values))
    finally:
        workbook.close()
