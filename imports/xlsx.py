"""A streaming reader of the first sheet of an .xlsx file, for big imports without dates (households).

openpyxl's read-only mode spends ~10 µs on every cell (styles, types, dates); a 100,000-row household file has a
million cells. This reads the sheet's XML with ElementTree's C parser, one row at a time, and gives the values
openpyxl gives with ``values_only=True, data_only=False`` for the cells a template holds: text (shared, inline
or rich), numbers, booleans, and formulas as their text starting with "=" (so they are refused, not evaluated).
Cells formatted as dates come back as numbers (Excel serials): kinds with date columns keep openpyxl.

Untrusted XML: the parts of a workbook never declare a DTD, so a part whose prolog has one is refused; the expat
bundled with Python (≥ 2.4.1) also limits entity amplification, and ElementTree never fetches external entities.
openpyxl itself parses with the same ElementTree when defusedxml is not installed.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _C, _V, _F, _IS, _T, _R = (MAIN + t for t in ("row", "c", "v", "f", "is", "t", "r"))
_COLUMN = re.compile(r"[A-Z]+")


class XlsxError(Exception):
    """Not a readable .xlsx workbook."""


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
                strings.append(_text(element))
                element.clear()
    finally:
        handle.close()
    return strings


def iter_rows(fileobj) -> Iterator[tuple[int, list]]:
    """(row number, [cell values]) for every row of the first sheet; raises XlsxError if it is not an .xlsx."""
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
            values: list = []
            for cell in element.iter(_C):
                ref = cell.get("r")
                if ref:
                    index = _column_index(ref)
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
