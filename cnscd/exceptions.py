"""Errors that are the client's, answered as 4xx in one place instead of 500s.

* **A service's refusal.** Services raise Django's ``ValidationError`` (``{field: [message]}`` or a message) and
  ``PermissionDenied`` (with the reason), never DRF's: they serve the API, the pages, the imports and the tasks
  alike. The API answers them here (``exception_handler``: 400 with ``{field: [message]}`` or ``[message]``,
  403 with ``{"detail": reason}``); the pages show them on the form (``cnscd.forms.form_errors``).
* **A rule of the database broken by a race.** Services check each unique rule before saving, but two identical
  requests at the same moment can both pass the check; the second then hits the database's constraint
  (``IntegrityError``). ``constraint_errors`` turns it into the same answer as the check — ``{field: [message]}``
  — found by the constraint's name: ``CONSTRAINT_MESSAGES`` first, then the message the model's constraint
  declares (``violation_error_message``), then, for a ``unique=True`` column, Django's own "… already exists";
  anything else gets a general sentence. The API answers it as a 400 (``exception_handler``, DRF's
  ``EXCEPTION_HANDLER``), the pages as a 400 page with the message (``IntegrityErrorMiddleware``).
* **A body beyond ``DATA_UPLOAD_MAX_MEMORY_SIZE``**: a 413 in the API's error format (``{"detail": …}``).

Nothing is half saved: the request's transaction (or the service's) is rolled back before answering.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

UNIQUE, CHECK, FOREIGN_KEY, EXCLUSION = "23505", "23514", "23503", "23P01"
NON_FIELD = "non_field_errors"

# constraint name → (field of the API, message): the same words as the service's own check.
CONSTRAINT_MESSAGES: dict[str, tuple[str, str]] = {
    "hamlet_name_unique": ("name", gettext_noop("This commune already has a hamlet with this name.")),
    "area_official_code_unique": ("code", gettext_noop("Another unit already has this official code.")),
    "one_active_team_per_area": ("area", gettext_noop("This unit already has an active team.")),
    "household_code_unique_per_hamlet": ("code", gettext_noop("This hamlet already has a household with this code.")),
    "one_active_leader_per_team": ("role", gettext_noop("This team already has an active leader.")),
    "active_member_phone_unique": ("phone", gettext_noop("This phone number belongs to an active member of a team.")),
    "active_member_citizen_id_unique": (
        "citizen_id",
        gettext_noop("This citizen-ID belongs to an active member of a team."),
    ),
    "target_once": (NON_FIELD, gettext_noop("A target for this indicator and period exists.")),
    "report_once_per_area_month": ("period", gettext_noop("A report for this area and month already exists.")),
    "role_assignment_unique": ("assignments", gettext_noop("This user already holds this role on this unit.")),
    "visit_activity_once": ("activities", gettext_noop("Each activity may appear only once in a visit.")),
}
GENERAL = {
    UNIQUE: gettext_noop("This record was just saved by another request: reload the page and check it."),
    CHECK: gettext_noop("These values break one of the portal's rules."),
    FOREIGN_KEY: gettext_noop("A record this refers to was just changed or deleted: reload the page and try again."),
    EXCLUSION: gettext_noop("This record was just saved by another request: reload the page and check it."),
}


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        super().__init__(_("The request is too large (at most %(mb)s MB).") % {"mb": f"{megabytes:g}"})


def _diagnostics(error: IntegrityError) -> tuple[str, str, str, str]:
    """(SQLSTATE, constraint, table, detail) of the database's error; empty strings where the driver says
    nothing."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    return (
        getattr(cause, "sqlstate", None) or "",
        getattr(diag, "constraint_name", None) or "",
        getattr(diag, "table_name", None) or "",
        getattr(diag, "message_detail", None) or "",
    )


def _declared(constraint_name: str) -> tuple[str, str] | None:
    """(field, message) of a model's constraint of this name that declares its own message."""
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name != constraint_name:
                continue
            message = constraint.violation_error_message
            if message == constraint.default_violation_error_message:
                return None
            fields = getattr(constraint, "fields", ()) or ()
            return (fields[-1] if fields else NON_FIELD), str(message)
    return None


def _unique_column(table: str, detail: str) -> tuple[str, str] | None:
    """(field, Django's "… already exists") for a ``unique=True`` column, from "Key (column)=(…) already
    exists"."""
    match = re.match(r"Key \(([^),]+)\)=", detail)
    if not match:
        return None
    column = match[1].strip('"')
    for model in apps.get_models():
        if model._meta.db_table != table:
            continue
        for field in model._meta.concrete_fields:
            if field.column == column and isinstance(field, models.Field):
                message = field.error_messages["unique"] % {
                    "model_name": capfirst(model._meta.verbose_name),
                    "field_label": field.verbose_name,
                }
                return field.name, message
    return None


def constraint_errors(error: IntegrityError) -> dict[str, list[str]] | None:
    """``{field: [message]}`` for an ``IntegrityError`` a client's request can cause (unique, check, foreign
    key, exclusion), or ``None`` for one that is the portal's own bug (a NOT NULL, say)."""
    sqlstate, constraint, table, detail = _diagnostics(error)
    if sqlstate not in GENERAL:
        return None
    if constraint in CONSTRAINT_MESSAGES:
        field, message = CONSTRAINT_MESSAGES[constraint]
        return {field: [_(message)]}
    if found := (_declared(constraint) if constraint else None):
        return {found[0]: [found[1]]}
    if sqlstate == UNIQUE and (found := _unique_column(table, detail)):
        return {found[0]: [found[1]]}
    return {NON_FIELD: [_(GENERAL[sqlstate])]}


def api_exception(exc: Exception) -> Exception:
    """The DRF exception the API answers for a service's Django ``ValidationError`` / ``PermissionDenied``
    (the messages kept: DRF's own handler would answer a bare "You do not have permission…"); others as they
    are."""
    if isinstance(exc, DjangoValidationError):
        if not hasattr(exc, "error_dict"):
            return drf_exceptions.ValidationError(exc.messages)
        detail = {(NON_FIELD if f == NON_FIELD_ERRORS else f): m for f, m in exc.message_dict.items()}
        return drf_exceptions.ValidationError(detail)
    if isinstance(exc, DjangoPermissionDenied):
        denied = drf_exceptions.PermissionDenied(str(exc) if exc.args else None)
        denied.status_code = getattr(exc, "status_code", denied.status_code)  # a limit (members.duplicates): 429
        return denied
    return exc


def exception_handler(exc, context):
    """DRF's handler, and: a service's refusal → 400/403 with its messages; a race on a database rule → 400 like
    the rule's check; a body too large → 413."""
    if isinstance(exc, IntegrityError) and (errors := constraint_errors(exc)) is not None:
        set_rollback()
        return Response(errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    return drf_exception_handler(api_exception(exc), context)


class IntegrityErrorMiddleware:
    """The pages' side of ``exception_handler``: a race on a database rule answers a 400 page saying which rule,
    not a 500 (the request's transaction was rolled back by then)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, IntegrityError) or (errors := constraint_errors(exception)) is None:
            return None
        messages = [message for problems in errors.values() for message in problems]
        return render(request, "integrity_error.html", {"messages_": messages}, status=400)
