"""Usernames: one spelling, a sane alphabet, and a skeleton that makes look-alikes collide.

* ``normalize`` is what is stored: Unicode NFKC (full-width letters become plain ones, Django's own
  ``normalize_username``), then NFC, with zero-width characters and surrounding spaces removed.
* ``UsernameValidator`` keeps the alphabet sane: Latin letters with or without Vietnamese diacritics (a ă â b c
  d đ e ê … ư y, any case), digits and ``. _ - @ +`` (Django's punctuation). Cyrillic, Greek and every other
  script are refused, so a name can never mix scripts.
* ``skeleton`` is stored in the unique column ``User.username_key``: NFKC, casefold, and every character that
  Unicode's confusables list (``confusable_homoglyphs``, built from UTS #39 ``confusables.txt``) says looks like
  one Latin letter or digit replaced by it. ``Tinh.Admin``, ``ｔｉｎｈ.admin`` and ``tinh.admіn`` (Cyrillic і) all
  have the skeleton ``tinh.admin``; the unique index refuses the second of them even when two requests race.
  Vietnamese diacritics are kept (``tân`` and ``tấn`` are different names).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs.confusables import confusables_data
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
PUNCTUATION = "._-@+"
# The combining marks of Vietnamese letters: grave, acute, circumflex, tilde, breve, hook above, horn, dot below.
VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323")
_ASCII_WORD = re.compile(r"[a-zA-Z0-9]")  # no IGNORECASE: with it, dotless ı and the Kelvin sign match


def normalize(username: str) -> str:
    """The stored spelling of ``username``: NFKC then NFC, zero-width characters and outer spaces removed."""
    text = unicodedata.normalize("NFKC", str(username)).translate(ZERO_WIDTH).strip()
    return unicodedata.normalize("NFC", text)


def _allowed(char: str) -> bool:
    if char in PUNCTUATION or _ASCII_WORD.fullmatch(char) or char in "đĐ":
        return True
    base, *marks = unicodedata.normalize("NFD", char)
    return bool(_ASCII_WORD.fullmatch(base)) and base.isalpha() and all(mark in VIETNAMESE_MARKS for mark in marks)


@deconstructible
class UsernameValidator:
    """Refuse a username outside the sane alphabet (see the module's docstring)."""

    message = _("A username may hold only letters (with or without Vietnamese diacritics), digits and . _ - @ +.")
    code = "invalid"

    def __call__(self, value: str) -> None:
        text = normalize(value)
        if not text or not all(_allowed(char) for char in text):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, UsernameValidator)


@lru_cache(maxsize=4096)
def _latin(char: str) -> str | None:
    """The one Latin letter or digit ``char`` is confusable with, or None."""
    glyphs = sorted(
        {
            glyph["c"].casefold()
            for glyph in confusables_data.get(char, ())
            if len(glyph["c"]) == 1 and _ASCII_WORD.fullmatch(glyph["c"])
        }
    )
    return glyphs[0] if len(glyphs) == 1 else None


def skeleton(username: str) -> str:
    """The form two usernames share when they differ only in case, Unicode form or look-alike letters."""
    out = []
    for char in unicodedata.normalize("NFD", normalize(username)):
        if char.isascii() or unicodedata.combining(char):
            out.append(char.casefold())
            continue
        # A capital is looked up as written (Greek Ν looks like N, its small ν like v), then casefolded. Unicode's
        # prototype of a capital vertical stroke (Greek Ι, Cyrillic І) is "l"; as a capital it is the "I" of
        # "TINH.ADMIN", which casefolds to "i".
        folded = char.casefold()
        latin = _latin(char)
        if latin == "l" and folded != char:
            latin = "i"
        out.append(latin or folded)
    return unicodedata.normalize("NFC", "".join(out))
