"""The API's router: a detail route matches only an id the database could hold.

DRF's default lookup pattern (``[^/.]+``) lets ``/households/abc/``, ``/households/-1/`` or
``/households/99999999999999999999/`` reach the view, where each lookup would have to refuse them on its own
(and an id beyond PostgreSQL's ``bigint`` reaches the database as an error). Here, every viewset looked up by its
primary key takes 1 to 18 digits (every ``bigint`` id the portal will ever hand out): anything else matches no
route and is a 404 before any view runs. Viewsets looked up by a code (``lookup_field = "code"``) keep DRF's
pattern.
"""

import re

from rest_framework.routers import DefaultRouter

ID_PATTERN = "[0-9]{1,18}"


class Router(DefaultRouter):
    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        if getattr(viewset, "lookup_field", "pk") not in ("pk", "id") or hasattr(viewset, "lookup_value_regex"):
            return super().get_lookup_regex(viewset, lookup_prefix)
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return self._base_pattern.format(
            lookup_prefix=lookup_prefix, lookup_url_kwarg=lookup_url_kwarg, lookup_value=ID_PATTERN
        )


def is_id(value) -> bool:
    """Whether ``value`` (a query value, say) is an id as the detail routes take it: 1 to 18 ASCII digits. Pages
    that read an id from the query ask this before any lookup (``"²".isdigit()`` is true, and ``int("²")`` fails)."""
    return isinstance(value, str) and re.fullmatch(ID_PATTERN, value) is not None
