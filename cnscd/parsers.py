"""The API's JSON parser: DRF's, with a bound on nesting.

Nothing the portal accepts nests deeper than a handful of levels (a bulk of visits is four: the body, its list,
a visit, its activities). A body nested deeper than ``MAX_DEPTH`` is refused with a 400 in the API's error
format; one nested so deep that Python's decoder gives up (thousands of levels, a ``RecursionError``) gets the
same answer instead of a 500. The body's size is bounded before it is parsed, by
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (a 413, see ``cnscd.exceptions``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser

MAX_DEPTH = 32


class TooDeep(ParseError):
    default_code = "too_deep"

    def __init__(self) -> None:
        super().__init__(_("The JSON body is nested too deeply (at most %(depth)s levels).") % {"depth": MAX_DEPTH})


def depth_check(data, limit: int = MAX_DEPTH) -> None:
    """Raise ``TooDeep`` when lists and objects in ``data`` nest more than ``limit`` levels (iteratively: the
    check itself never recurses)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            raise TooDeep()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


class JSONParser(BaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise TooDeep() from error
        depth_check(data)
        return data
