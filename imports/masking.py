"""Personal values out of free text the portal keeps: row reports of imports, parameters of export logs.

A row report must say where the problem is (row, column) and what it is, not repeat the citizen-ID or phone typed
in the cell: the report outlives the file (which is deleted once the import ends) and is read again later. The
rule is the one of masked phones (docs/SPEC.md §4, ``09******23``): a run of 9 or more digits (phones are 9–11 digits as
typed, citizen-IDs 9 or 12; dates and counts have at most 8) keeps its first two and last two digits, whatever
spaces, dots or dashes separate its groups; an e-mail address keeps the first letter of its name and its domain.
"""

from __future__ import annotations

import re

# A leading +, then digits with at most one separator between two of them, 9 digits or more in all.
_NUMBER = re.compile(r"\+?\d(?:[ .\-]?\d){8,}")
_EMAIL = re.compile(r"([\w.+\-])[\w.+\-]*@([\w\-]+(?:\.[\w\-]+)+)")


# The example numbers the portal's own messages show (cnscd.phones), left as they are.
EXAMPLES = frozenset(["0912345678", "02763822123", "84912345678"])


def _mask_number(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if digits in EXAMPLES:
        return match.group(0)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def mask_text(text: str) -> str:
    """``text`` with every phone-like or citizen-ID-like number and every e-mail address masked."""
    if not text:
        return text
    return _EMAIL.sub(r"\1***@\2", _NUMBER.sub(_mask_number, text))


def mask_values(value):
    """``value`` (text, or lists and dicts of them, as JSON holds) with ``mask_text`` applied to every text."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_values(item) for item in value]
    if isinstance(value, dict):
        return {key: mask_values(item) for key, item in value.items()}
    return value
