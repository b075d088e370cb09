"""Vietnamese mobile numbers and citizen-IDs: normalisation, validation and the keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings
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
_SEPARATORS = re.compile(r"[\s.\-()]")


def normalize_phone(value: str) -> str:
    """``+84 912 345 678`` / ``84912345678`` / ``0912.345.678`` → ``0912345678``; raises ValidationError."""
    raw = _SEPARATORS.sub("", str(value or ""))
    if raw.startswith("+84"):
        raw = "0" + raw[3:]
    elif raw.startswith("84") and len(raw) == 11:
        raw = "0" + raw[2:]
    elif len(raw) == 9 and raw.isdigit() and not raw.startswith("0"):
        raw = "0" + raw  # Excel drops the leading zero of numbers typed as numbers
    if not (len(raw) == 10 and raw.isdigit() and raw[:3] in MOBILE_PREFIXES):
        raise ValidationError(
            _("Enter a Vietnamese mobile number: 10 digits starting with 03, 05, 07, 08 or 09 (e.g. 0912345678)."),
            code="phone",
        )
    return raw


def normalize_citizen_id(value: str) -> str:
    """A citizen-ID card number: 12 digits (CCCD), or 9 digits for an old identity card (CMND)."""
    raw = _SEPARATORS.sub("", str(value or ""))
    if not (raw.isdigit() and len(raw) in (9, 12)):
        raise ValidationError(_("A citizen-ID has 12 digits (or 9 for an old identity card)."), code="citizen_id")
    return raw


def citizen_id_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256 with PERSONAL_DATA_HASH_KEY) of a normalised citizen-ID."""
    key = settings.PERSONAL_DATA_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
