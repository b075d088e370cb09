"""The Vietnamese words of a household file (its cells, its Instructions sheet, the export): the labels of the
model's choices and Django's Có/Không as the Vietnamese catalogue translates them — one wording for the pages, the
API's documentation and the files — and the other spellings a file may use.
"""

from __future__ import annotations

from functools import cache

from django.utils import translation

from cnscd.labels import listed, vi_labels
from households.models import Category

# Cells the import accepts for a category besides its value and its Vietnamese label (lower case).
CATEGORY_ALIASES = {
    "nghèo": Category.POOR,
    "cận nghèo": Category.NEAR_POOR,
    "hộ chính sách": Category.POLICY,
    "chính sách": Category.POLICY,
    "dtts": Category.ETHNIC_MINORITY,
    "hộ dân tộc thiểu số": Category.ETHNIC_MINORITY,
    "người cao tuổi": Category.ELDERLY_ALONE,
    "người cao tuổi neo đơn": Category.ELDERLY_ALONE,
}
# Yes/no cells besides the catalogue's Có/Không (and an Excel tick, a number, TRUE/FALSE).
YES_ALIASES = frozenset(["co", "x", "1", "true", "yes", "y", "đồng ý", "dong y", "rồi"])
NO_ALIASES = frozenset(["", "khong", "0", "false", "no", "n", "chưa"])


def category_labels() -> dict[str, str]:
    """{category: Vietnamese label}, from the catalogue."""
    return vi_labels(Category)


def yes_no() -> tuple[str, str]:
    """Có, Không: Django's "Yes" and "No" in Vietnamese."""
    with translation.override("vi"):
        return translation.gettext("Yes"), translation.gettext("No")


@cache
def categories() -> dict[str, str]:
    """Cell text in lower case → the category: its value, its Vietnamese and English labels, an alias."""
    table = {str(value): str(value) for value in Category.values}
    table |= {label.lower(): value for value, label in category_labels().items()}
    with translation.override("en"):
        table |= {str(label).lower(): str(value) for value, label in Category.choices}
    return table | {alias: str(value) for alias, value in CATEGORY_ALIASES.items()}


@cache
def yes_no_cells() -> tuple[frozenset[str], frozenset[str]]:
    """(cells read as yes, cells read as no), lower case."""
    yes, no = yes_no()
    return YES_ALIASES | {yes.lower()}, NO_ALIASES | {no.lower()}


def categories_listed():
    """The line of the Instructions sheet naming the categories (lazy: read when the sheet is written)."""
    return listed("Phân loại hộ", Category)
