"""The same person on two rosters: what a refusal may say, and how often (issue 11, item 4).

A person (phone or citizen-ID) is active in one team only, across the whole country (SPEC §3.2), so a refusal
always tells the requester that *someone* holds that number. What it must not do is tell them who or where, nor
let them try numbers at will. The rule, applied by the roster rules (``members.rules``) for the API and the pages
(through ``members.services``) and the roster import (``members.resources``):

* **In scope** — the active member holding the number is on a team the requester may view (``member.view`` of
  ``areas.policy``): the message names the person and the team, as before; the officer sees them anyway.
* **Out of scope** — any other team, in another commune, district or province: one text,
  ``OUT_OF_SCOPE_MESSAGE``, the same whatever the team, the province or whether the phone or the citizen-ID
  matched, under the non-field key (so not even the field says which number it was). An import reports such
  collisions once for the whole file (``OUT_OF_SCOPE_FILE_MESSAGE``, no row, no count), in a dry run as in a real
  run: a file of 100 candidate citizen-IDs gets the same answer whichever candidate is right.
* **Counted and limited** — each request refused because of out-of-scope data (one API/page write, one import
  file) adds one to the requester's counter of the day (Asia/Ho_Chi_Minh date) in Django's cache (Redis in
  production, so shared by every process), and is logged on the ``cnscd.security`` logger: who (user id and
  login), when (the log record's time), which surface — never the numbers. Once a user has been refused
  ``MEMBER_OUT_OF_SCOPE_REFUSALS_PER_DAY`` (default 20) times, every roster write that would compare a phone
  or citizen-ID (a new member, a changed number, a return to a team, any roster import) is answered
  ``TooManyRefusals`` — HTTP 429 with a Vietnamese message — *before* any lookup, until the next day: the answer
  then depends on the counter only, not on the data.

What remains: one refusal is one bit ("someone in this request is active elsewhere"); guessing one citizen-ID
among 100 candidates by halving files needs about 7 refusals, so at most two or three people a day per login,
each attempt in the log. Superusers and system callers (``acting_user=None``: reorganisations, seeding) see
every team and are neither counted nor limited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from areas import policy
from members.models import Member

logger = logging.getLogger("cnscd.security")

NON_FIELD = NON_FIELD_ERRORS  # "non_field_errors" in the API (cnscd.exceptions), the top of a page's form
DEFAULT_LIMIT = 20
OUT_OF_SCOPE_MESSAGE = gettext_lazy(
    "This person is active in another team; contact the province to move them to this team."
)
OUT_OF_SCOPE_FILE_MESSAGE = gettext_lazy(
    "Some people in this file are active in other teams outside your area; nothing was imported. Contact the "
    "province to move them, then import the file again."
)


class TooManyRefusals(PermissionDenied):
    """Too many refusals caused by out-of-scope people today: a ``PermissionDenied`` (pages show its message on the
    form) that the API answers 429 instead of 403 (``status_code``, read by ``cnscd.exceptions``)."""

    status_code = 429
    message = gettext_lazy(
        "Too many additions were refused today because the people are active in teams outside your area. "
        "Try again tomorrow or contact the province."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


def _limit() -> int:
    return int(getattr(settings, "MEMBER_OUT_OF_SCOPE_REFUSALS_PER_DAY", DEFAULT_LIMIT))


def _key(user_id: int) -> str:
    return f"members:out-of-scope-refusals:{user_id}:{timezone.localdate():%Y%m%d}"


def _counted(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and not user.is_superuser


def _count_today(user) -> int:
    """Today's refusals of ``user``; 0 when the cache is down (Redis out: rosters keep working, the log stays)."""
    try:
        return cache.get(_key(user.pk)) or 0
    except Exception:  # noqa: BLE001 — the cache is a speed bump, not a lock: never a 500 for its outage
        logger.warning("out-of-scope refusals: the cache is unavailable, the daily limit is not applied")
        return 0


def refusals_check(*, acting_user) -> None:
    """Raise ``TooManyRefusals`` when ``acting_user`` has used up today's refusals (call before any lookup)."""
    if _counted(acting_user) and _count_today(acting_user) >= _limit():
        logger.warning(
            "out-of-scope refusals: user %s (%s) over the daily limit, request refused",
            acting_user.pk,
            acting_user.get_username(),
        )
        raise TooManyRefusals()


def refusals_forget(*, user_id: int) -> None:
    """Start the day's count again for one user (support, after the province has looked at the log)."""
    cache.delete(_key(user_id))


def refusal_record(*, acting_user, surface: str) -> None:
    """Count one refusal caused by out-of-scope data and log it (who and where, never the values)."""
    if not _counted(acting_user):
        return
    key = _key(acting_user.pk)
    try:
        cache.add(key, 0, timeout=2 * 24 * 3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=2 * 24 * 3600)
            count = 1
    except Exception:  # noqa: BLE001 — the cache is down: the refusal is still logged below
        count = "?"
    logger.warning(
        "out-of-scope duplicate refused: user %s (%s), surface %s, refusal %s of %s today",
        acting_user.pk,
        acting_user.get_username(),
        surface,
        count,
        _limit(),
    )


def visible_ids(*, acting_user, members: Iterable[Member]) -> set[int]:
    """The ids among ``members`` that ``acting_user`` may view (every one for superusers and system callers)."""
    ids = {m.pk for m in members}
    if acting_user is None or acting_user.is_superuser or not ids:
        return ids
    allowed = policy.restrict(Member.objects.filter(pk__in=ids), acting_user, "view")
    return set(allowed.values_list("pk", flat=True))


def in_scope_message(*, clash: Member, field: str) -> str:
    """The message naming the person and team, for a clash the requester may see."""
    if field == "phone":
        text = _("This phone number belongs to %(name)s, an active member of “%(team)s”.")
    else:
        text = _("This citizen-ID belongs to %(name)s, an active member of “%(team)s”.")
    return text % {"name": clash.full_name, "team": clash.team}


def clash_errors(*, acting_user, clashes: list[tuple[int, str, Member]], surface: str) -> list[tuple[int, str, str]]:
    """The errors of the writes that ``clashes`` refuse, as (write, field, message).

    ``clashes`` holds (index of the write, ``"phone"`` or ``"citizen_id"``, the active member holding that number).
    A clash in scope is named on its field; a write with any clash out of scope gets the one neutral text, once,
    under the non-field key, and the request (one API/page write, one import file) counts one refusal, logged.
    """
    visible = visible_ids(acting_user=acting_user, members=[clash for _index, _field, clash in clashes])
    errors: list[tuple[int, str, str]] = []
    hidden: set[int] = set()
    for index, field, clash in clashes:
        if clash.pk in visible:
            errors.append((index, field, in_scope_message(clash=clash, field=field)))
        elif index not in hidden:
            hidden.add(index)
            errors.append((index, NON_FIELD, str(OUT_OF_SCOPE_MESSAGE)))
    if hidden:
        refusal_record(acting_user=acting_user, surface=surface)
    return errors
