"""The one phone rule of the portal: Vietnamese numbers after the 2017–2018 renumbering, stored as ``0…``.

Two named rules share one normalisation (spaces, dots, dashes and brackets removed; ``+84…`` and ``84…`` become
``0…``; a number Excel stored as a number, which lost its leading zero, gets it back):

- ``mobile``: 10 digits with a mobile prefix (03x, 05x, 07x, 08x, 09x). Team members must have one: they log in and
  are reached through Zalo.
- ``household``: a mobile or a landline (``02`` + a 1–2 digit area code + the subscriber number: 11 digits, e.g.
  0276 3822 123 in Tây Ninh, 024 3825 1234 in Hà Nội). Households are often reached on the house's line.

Who reads a stored number in full is the access policy's (``households.services.household_phone_shown``); the
others read it masked by ``mask_phone``. The API, the pages, the imports and the exports all use these functions,
so a file exported by the portal always imports again.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mobile prefixes in use since the 2018 renumbering (Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile, Reddi…).
MOBILE_PREFIXES = frozenset(
    ["032", "033", "034", "035", "036", "037", "038", "039"]
    + ["052", "055", "056", "058", "059"]
    + ["070", "076", "077", "078", "079"]
    + [f"08{d}" for d in range(1, 10)]
    + [f"09{d}" for d in range(10)]
)
MAX_TYPED = 20  # characters a phone field accepts as typed (separators included)
_SEPARATORS = re.compile(r"[\s.\-()]")

MOBILE_MESSAGE = _("Enter a Vietnamese mobile number: 10 digits starting with 03, 05, 07, 08 or 09 (e.g. 0912345678).")
HOUSEHOLD_MESSAGE = _(
    "Enter a Vietnamese phone number: a mobile of 10 digits starting with 03, 05, 07, 08 or 09 (e.g. 0912345678) "
    "or a landline of 11 digits starting with 02 (e.g. 02763822123)."
)


def normalized(value) -> str:
    """The digits of ``value`` in the national form (``+84 912 345 678`` → ``0912345678``); not validated."""
    raw = _SEPARATORS.sub("", str(value or ""))
    if raw.startswith("+84"):
        raw = "0" + raw[3:]
    elif raw.startswith("84") and len(raw) in (11, 12):
        raw = "0" + raw[2:]
    elif raw.isdigit() and not raw.startswith("0") and len(raw) in (9, 10):
        raw = "0" + raw  # Excel drops the leading zero of numbers typed as numbers
    return raw


def is_mobile(number: str) -> bool:
    return len(number) == 10 and number.isdigit() and number[:3] in MOBILE_PREFIXES


def is_landline(number: str) -> bool:
    return len(number) == 11 and number.isdigit() and number.startswith("02")


def mobile(value) -> str:
    """A member's phone: a Vietnamese mobile, normalised; raises ValidationError (code ``phone``)."""
    number = normalized(value)
    if not is_mobile(number):
        raise ValidationError(MOBILE_MESSAGE, code="phone")
    return number


def household(value) -> str:
    """A household's phone: a Vietnamese mobile or landline, normalised; raises ValidationError (code ``phone``)."""
    number = normalized(value)
    if not (is_mobile(number) or is_landline(number)):
        raise ValidationError(HOUSEHOLD_MESSAGE, code="phone")
    return number


def mask_phone(phone: str) -> str:
    """A stored phone as staff above the household's commune read it (``0912345678`` → ``09******78``): the API, the
    exports and the administration show it so, and a masked number sent back by an import keeps the stored one."""
    if not phone:
        return ""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]
