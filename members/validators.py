"""Members' mobile numbers (the rule lives in ``cnscd.phones``) and citizen-IDs: validation and the keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cnscd import phones

_SEPARATORS = re.compile(r"[\s.\-()]")


def normalize_phone(value: str) -> str:
    """A member's phone: the portal's one rule for mobiles (``cnscd.phones.mobile``); raises ValidationError."""
    return phones.mobile(value)


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
