"""A streaming reader of the first sheet of an .xlsx file, for big imports without dates (households).

openpyxl's read-only mode spends ~10 µs on every cell (styles, types, dates); a 100,000-row household file has a
million cells. This reads the sheet's XML with ElementTree's C parser, one row at a time, and gives the values
openpyxl gives with ``values_only=True, data_only=False`` for the cells a template holds: text (shared, inline
or rich), numbers, booleans, and formulas as their text starting with "=" (so they are refused, not evaluated).
Cells formatted as dates come back as numbers (Excel serials): kinds with date columns keep openpyxl.

Untrusted XML: the parts of a workbook never declare a DTD, so a part whose prolog has one is refused; the expat
bundled with Python (≥ 2.4.1) also limits entity amplification, and ElementTree never fetches external entities.
openpyxl itself parses with the same ElementTree when defusedxml is not installed.

Untrusted archives (zip bombs): ``check_archive`` reads only the zip's central directory and the head of the first
sheet, and refuses a file before any part is parsed — by this reader or by openpyxl — when its entries are too many,
expand to too much (in total, or for the shared strings, which are held in memory), expand too much for their
compressed size, or when the sheet declares more rows or columns than an import takes. The sizes of the central
directory can be trusted: ``zipfile`` stops an entry at its declared size (and then fails its CRC check). While
streaming, rows and columns beyond the bounds are refused too (a sheet without a dimension, or one that lies).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from django.utils.translation import gettext as _

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _C, _V, _F, _IS, _T, _R = (MAIN + t for t in ("row", "c", "v", "f", "is", "t", "r"))
_COLUMN = re.compile(r"[A-Z]+")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?\"")

MAX_ENTRIES = 1_000  # parts in the archive (a workbook of one sheet has about ten)
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # all parts (the sheet is streamed: 100,000 rows written inline are ~60 MB)
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024  # the shared strings are held in memory
MAX_SHARED_STRINGS = 1_000_000
MAX_RATIO = 100  # uncompressed / compressed, for parts over 1 MB (a real sheet is 5–15 ×)
RATIO_FROM = 1024 * 1024
MAX_ROWS = 200_000  # spreadsheet rows of the first sheet (a kind keeps its own, smaller limit of data rows)
MAX_COLUMNS = 100


class XlsxError(Exception):
    """Not a readable .xlsx workbook."""


class XlsxLimitError(XlsxError):
    """A workbook beyond the reader's bounds; ``message`` says which, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _too_big() -> XlsxLimitError:
    return XlsxLimitError(
        _("The Excel file expands to more than %(mb)s MB or is packed abnormally; it was not read.")
        % {"mb": MAX_UNCOMPRESSED // (1024 * 1024)}
    )


def _too_many_rows() -> XlsxLimitError:
    return XlsxLimitError(
        _("The sheet has more than %(rows)s rows or %(columns)s columns; split it into smaller files.")
        % {"rows": f"{MAX_ROWS:,}".replace(",", "."), "columns": MAX_COLUMNS}
    )


def check_archive(fileobj) -> None:
    """Refuse a workbook whose parts are too many or expand too much, or whose first sheet declares too many rows or
    columns, before anything is parsed (raises XlsxLimitError, or XlsxError if it is not an .xlsx at all).
    Reads the central directory and the head of the sheet only; leaves ``fileobj`` at its start."""
    try:
        archive = zipfile.ZipFile(fileobj)
        try:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise _too_big()
            total = 0
            for entry in entries:
                total += entry.file_size
                if total > MAX_UNCOMPRESSED:
                    raise _too_big()
                if entry.file_size > RATIO_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
                    raise _too_big()
                if entry.filename == "xl/sharedStrings.xml" and entry.file_size > MAX_SHARED_STRINGS_BYTES:
                    raise _too_big()
            with archive.open(_first_sheet(archive)) as sheet:
                head = sheet.read(4096)
        finally:
            archive.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError, EOFError) as error:
        raise XlsxError(str(error)) from error
    finally:
        fileobj.seek(0)
    dimension = _DIMENSION.search(head)
    if dimension:
        _first_col, _first_row, last_col, last_row = dimension.groups()
        last_col = last_col or _first_col
        last_row = last_row or _first_row
        if (last_row and int(last_row) > MAX_ROWS) or (last_col and _column_index(last_col.decode()) >= MAX_COLUMNS):
            raise _too_many_rows()


def declared_rows(fileobj) -> int | None:
    """The last row of the first sheet's declared dimension (None if it declares none); after ``check_archive``."""
    try:
        with zipfile.ZipFile(fileobj) as archive, archive.open(_first_sheet(archive)) as sheet:
            head = sheet.read(4096)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError, EOFError):
        return None
    finally:
        fileobj.seek(0)
    dimension = _DIMENSION.search(head)
    if not dimension:
        return None
    rows = dimension.group(4) or dimension.group(2)
    return int(rows) if rows else None


def _column_index(ref: str) -> int:
    letters = _COLUMN.match(ref)
    index = 0
    for char in letters.group(0) if letters else "":
        index = index * 26 + ord(char) - 64
    return index - 1


def _text(element) -> str:
    """The text of a string item (<si> or <is>): its <t>, or its rich-text runs' <t>, without phonetic hints."""
    direct = element.find(_T)
    if direct is not None:
        return direct.text or ""
    return "".join((run.findtext(_T) or "") for run in element.iter(_R))


def _checked(data: bytes) -> bytes:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XlsxError("a workbook part declares a DTD")
    return data


class _Part:
    """A part of the archive, read as a stream, refusing a DTD in its prolog."""

    def __init__(self, handle):
        self.handle = handle
        self.head = _checked(handle.read(8192))

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            return data
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()


def _first_sheet(archive: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(_checked(archive.read("xl/workbook.xml")))  # noqa: S314 (see the docstring)
    sheet = workbook.find(f"{MAIN}sheets/{MAIN}sheet")
    if sheet is None:
        raise XlsxError("no sheet")
    rel_id = sheet.get(REL + "id")
    rels = ElementTree.fromstring(_checked(archive.read("xl/_rels/workbook.xml.rels")))  # noqa: S314
    for rel in rels.iter(PKG_REL + "Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    raise XlsxError("no sheet relationship")


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    try:
        handle = _Part(archive.open("xl/sharedStrings.xml"))
    except KeyError:
        return []
    strings = []
    try:
        for _event, element in ElementTree.iterparse(handle):  # noqa: S314
            if element.tag == MAIN + "si":
                if len(strings) >= MAX_SHARED_STRINGS:
                    raise _too_big()
                strings.append(_text(element))
                element.clear()
    finally:
        handle.close()
    return strings


def iter_rows(fileobj) -> Iterator[tuple[int, list]]:
    """(row number, [cell values]) for every row of the first sheet; raises XlsxError if it is not an .xlsx."""
    check_archive(fileobj)
    try:
        archive = zipfile.ZipFile(fileobj)
        sheet_path = _first_sheet(archive)
        shared = _shared_strings(archive)
        handle = _Part(archive.open(sheet_path))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError) as error:
        raise XlsxError(str(error)) from error
    return _rows(archive, handle, shared)


def _rows(archive, handle, shared: list[str]) -> Iterator[tuple[int, list]]:
    last = 0
    try:
        parent = None
        for event, element in ElementTree.iterparse(handle, events=("start", "end")):  # noqa: S314
            if event == "start":
                if element.tag == MAIN + "sheetData":
                    parent = element
                continue
            if element.tag != _ROW:
                continue
            number = int(element.get("r") or last + 1)
            last = number
            if number > MAX_ROWS:
                raise _too_many_rows()
            values: list = []
            for cell in element.iter(_C):
                ref = cell.get("r")
                index = _column_index(ref) if ref else len(values)
                if index >= MAX_COLUMNS:
                    if _value(cell, shared) is None:
                        continue  # a formatted empty cell far to the right
                    raise _too_many_rows()
                if index > len(values):
                    values.extend([None] * (index - len(values)))
                values.append(_value(cell, shared))
            yield number, values
            element.clear()
            if parent is not None:
                parent.remove(element)
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError, IndexError) as error:
        raise XlsxError(str(error)) from error
    finally:
        handle.close()
        archive.close()


def _value(cell, shared: list[str]):
    formula = cell.find(_F)
    if formula is not None and formula.text:
        return "=" + formula.text
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        item = cell.find(_IS)
        return _text(item) if item is not None else None
    raw = cell.findtext(_V)
    if raw is None:
        return None
    if kind == "s":
        return shared[int(raw)]
    if kind == "n":
        if raw.lstrip("-").isdigit():
            return int(raw)
        return float(raw)
    if kind == "b":
        return raw == "1"
    return raw  # str (a formula's cached text), e (an error such as #N/A), d (ISO date text)
