"""The audit history's plumbing: the one module that touches django-pghistory's and django-pgtrigger's internals.

The history itself is declared on the models (``@pghistory.track``: statement-level triggers write one event row per
changed row, with the request's context). Three hot paths write rows in bulk and do better than the triggers:

* the household import writes the event rows of its upsert itself, in the same statement (``events_sql``), with the
  triggers skipped for it (``triggers_skipped``);
* the demo and benchmark generator writes millions of rows with COPY and skips the triggers (``triggers_skipped``);
* the prepared statements of a visit POST run their reads without the context prefix (``without_context``).

Each leans on how the two libraries work inside: the event table's columns, the ``_pgh_attach_context()`` SQL
function, the execute wrapper ``pghistory.context`` installs, ``pgtrigger.ignore`` by URI. They are named here
once, the versions they were read from are asserted (``check_versions``, a system check) and
``tests/test_audit.py`` pins their behaviour: the bulk path writes the event rows the triggers would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version

import pghistory
import pghistory.trigger
import pgtrigger
from django.core import checks
from django.db import connection
from pghistory.runtime import _inject_history_context  # the execute wrapper pghistory.context() installs

# The releases whose internals this module was written against (major.minor): another one may have moved them.
SUPPORTED = {"django-pghistory": "3.9", "django-pgtrigger": "4.17"}

context = pghistory.context  # the public way to group a request's or a command's changes under one context


def check_versions(app_configs=None, **kwargs) -> list[checks.Error]:
    """A system check (``manage.py check``, every start): the installed pghistory and pgtrigger are the releases
    this module knows."""
    errors = []
    for package, expected in SUPPORTED.items():
        installed = version(package)
        if installed != expected and not installed.startswith(expected + "."):
            errors.append(
                checks.Error(
                    f"{package} {installed} is installed; cnscd/audit.py was written for {expected}.x.",
                    hint="Check its internals (see tests/test_audit.py), then update SUPPORTED.",
                    id="cnscd.E001",
                )
            )
    return errors


def attach_context(cursor) -> str:
    """The id of the current ``context()`` (created in the database if this is its first write), for event rows
    written by hand. Call it inside ``context()``."""
    cursor.execute("SELECT _pgh_attach_context()")
    return cursor.fetchone()[0]


def event_triggers(*models, labels: tuple[str, ...] = ()) -> list[str]:
    """The URIs of the history triggers on ``models`` (those of the given event ``labels`` only, e.g. insert and
    update, when given)."""
    return [
        trigger.get_uri(model)
        for model, trigger in pgtrigger.registered()
        if model in models and isinstance(trigger, pghistory.trigger.Event) and (not labels or trigger.label in labels)
    ]


@contextmanager
def triggers_skipped(*models, labels: tuple[str, ...] = ()) -> Iterator[None]:
    """Statements run inside write no history for ``models`` (the caller writes the event rows, or decides that a
    generated data set has none). Statements must go through Django's cursor, whose wrapper sets the ignore."""
    with pgtrigger.ignore(*event_triggers(*models, labels=labels)):
        yield


def events_sql(model, source: str, *, label: str) -> str:
    """``INSERT`` of the history rows of ``model`` for each row of ``source`` (a CTE or table holding every
    column of ``model``'s table), as its insert/update trigger writes them: the tracked columns, the context id
    (the statement's one ``%s`` parameter), ``NOW()``, the label (an SQL expression) and the object's id."""
    event = model.pgh_event_model
    tracked = ", ".join(f'"{f.column}"' for f in event._meta.concrete_fields if not f.name.startswith("pgh_"))
    return (
        f'INSERT INTO "{event._meta.db_table}" ({tracked}, pgh_context_id, pgh_created_at, pgh_label, pgh_obj_id) '
        f"SELECT {tracked}, %s::uuid, NOW(), {label}, id FROM {source}"
    )


@contextmanager
def without_context() -> Iterator[None]:
    """Statements run inside do not carry the audit context prefix (pghistory prepends it to every statement
    that does not start with SELECT; an EXECUTE of a prepared read does not need it)."""
    wrappers = connection.execute_wrappers
    if _inject_history_context not in wrappers:
        yield
        return
    connection.execute_wrappers = [wrapper for wrapper in wrappers if wrapper is not _inject_history_context]
    try:
        yield
    finally:
        connection.execute_wrappers = wrappers
