"""Writes of the reports app: the indicator catalogue, targets, the monthly report's workflow, queueing the rollup.

Report workflow: ``pending`` → ``draft`` (generated in the background) → ``submitted`` (commune officer or above,
own scope) → ``approved`` (province admin; frozen for good) or ``returned`` with a reason → submitted again, which
regenerates it with the current figures first.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from areas import policy
from areas.models import Area
from cnscd.text import NOTE_MAX_LENGTH, clean_text
from reports import rollup, workbook
from reports.models import Aggregation, Indicator, Report, ReportStatus, Target
from reports.periods import MONTH, PeriodError, parse_period

logger = logging.getLogger(__name__)

ROLLUP_DEBOUNCE_SECONDS = 10
_queued_at = 0.0  # when this process last queued a rollup (a first debounce before Redis's)


# --- Rollup queueing --------------------------------------------------------------------------------------


def rollup_soon() -> None:
    """Queue one incremental rollup within seconds (debounced: many visits in a burst cost one run).

    Called on commit of any write that changes KPIs. Without a reachable broker nothing is lost: the changes
    stay in ``reports_dirty`` and the next run — nightly, on demand or after the next visit — picks them up.
    """
    from reports.tasks import rollup_incremental_task

    global _queued_at
    now = time.monotonic()
    if now - _queued_at < ROLLUP_DEBOUNCE_SECONDS:
        return  # this process queued a run moments ago; it starts after this commit and includes it
    _queued_at = now
    try:
        if cache.add("kpi-rollup-queued", 1, timeout=ROLLUP_DEBOUNCE_SECONDS):
            rollup_incremental_task.apply_async(countdown=ROLLUP_DEBOUNCE_SECONDS)
    except Exception:  # noqa: BLE001 — Redis down must never fail a visit
        _queued_at = 0.0
        logger.warning("KPI rollup could not be queued; it will catch up on the next run", exc_info=True)


def rollup_soon_on_commit() -> None:
    transaction.on_commit(rollup_soon)


# --- The indicator catalogue -----------------------------------------------------------------------------


def indicators_sync() -> int:
    """Give every activity type without one its indicator (same code); how many were added.

    A province adds activities in the admin without a release (which calls this on save); a release that adds
    them runs it after its migrations (``manage.py sync_indicators``). Reads never write: the catalogue is
    complete before anyone reads it.
    """
    from households.models import ActivityType

    added = 0
    for activity in ActivityType.objects.filter(indicator__isnull=True):
        Indicator.objects.update_or_create(
            code=activity.code,
            defaults={
                "name_vi": activity.name_vi,
                "name_en": activity.name_en,
                "unit": "người",
                "aggregation": Aggregation.SUM,
                "activity_type": activity,
                "order": 100 + activity.order,
                "description": "Sum of the quantities (people helped) of this activity in the period.",
            },
        )
        added += 1
    return added


# --- Targets ----------------------------------------------------------------------------------------------


def _check_target_area(acting_user, area: Area) -> None:
    if not policy.permits(acting_user, "target", "add", area):
        raise ValidationError({"area": [_("This area does not exist or is outside your area.")]})


@transaction.atomic
def target_set(
    *, acting_user, indicator: Indicator, area: Area, year: int, month: int | None, value
) -> tuple[Target, bool]:
    """Create or replace the target of (indicator, area, year, month). Returns (target, created)."""
    _check_target_area(acting_user, area)
    if indicator.code == "hamlet_coverage" and value > 100:
        raise ValidationError({"value": [_("A percentage cannot be above 100.")]})
    target, created = Target.objects.update_or_create(
        indicator=indicator,
        area=area,
        year=year,
        month=month,
        defaults={"value": value, "created_by": acting_user},
    )
    return target, created


@transaction.atomic
def target_update(*, acting_user, target: Target, **fields) -> Target:
    """Change a target's indicator, area, year, month or value. Every rule is checked before anything is written,
    so a refused change leaves the target as it was (the API's PATCH once moved the indicator, then refused)."""
    values = {
        "indicator": target.indicator,
        "area": target.area,
        "year": target.year,
        "month": target.month,
        "value": target.value,
        **fields,
    }
    _check_target_area(acting_user, target.area)
    _check_target_area(acting_user, values["area"])
    if values["indicator"].code == "hamlet_coverage" and values["value"] > 100:
        raise ValidationError({"value": [_("A percentage cannot be above 100.")]})
    key = {name: values[name] for name in ("indicator", "area", "year", "month")}
    clash = _("A target for this indicator and period exists.")
    if Target.objects.filter(**key).exclude(pk=target.pk).exists():
        raise ValidationError({NON_FIELD_ERRORS: [clash]})
    for name, value in values.items():
        setattr(target, name, value)
    target.created_by = acting_user
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as error:  # a concurrent write took the same (indicator, area, year, month)
        raise ValidationError({NON_FIELD_ERRORS: [clash]}) from error
    return target


# --- Reports ----------------------------------------------------------------------------------------------


def _report_month(text: str):
    try:
        period = parse_period(text)
    except PeriodError as error:
        raise ValidationError({"period": [str(error)]}) from error
    if period.kind != MONTH:
        raise ValidationError({"period": [_("A monthly report is for one month: give it as 2026-10.")]})
    if period.start > timezone.localdate():
        raise ValidationError({"period": [_("This month has not begun yet.")]})
    return period


@transaction.atomic
def report_request(*, acting_user, area: Area, period: str) -> Report:
    """Create (or regenerate a draft of) the monthly report of ``area``; generation is queued on commit."""
    if not policy.permits(acting_user, "report", "add", area):
        if policy.permits(acting_user, "report", "view", area):
            raise PermissionDenied(_("Only commune officers and above can prepare reports."))
        raise ValidationError({"area": [_("This area does not exist or is outside your area.")]})
    month = _report_month(period)
    report, created = Report.objects.select_for_update().get_or_create(
        area=area, period=month.label, defaults={"created_by": acting_user}
    )
    if not created:
        if report.status == ReportStatus.APPROVED:
            raise ValidationError({"period": [_("The report of this month is approved and can no longer change.")]})
        if report.status == ReportStatus.SUBMITTED:
            raise ValidationError({"period": [_("The report of this month is submitted and awaits review.")]})
    report.status = ReportStatus.PENDING
    report.error = ""
    report.save(update_fields=["status", "error"])
    transaction.on_commit(lambda: _queue_generation(report.pk))
    return report


def _queue_generation(report_id: int) -> None:
    from reports.tasks import generate_report_task

    try:
        generate_report_task.delay(report_id)
    except Exception:  # noqa: BLE001 — no broker: generate here rather than leave it pending
        logger.warning("report generation could not be queued; generating in-process", exc_info=True)
        report_generate(report_id=report_id)


def report_generate(*, report_id: int) -> Report:
    """Bring the KPIs up to date, snapshot the figures and write the workbook. Never touches an approved report."""
    rollup.rollup_incremental()
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("area").get(pk=report_id)
        if report.status in (ReportStatus.APPROVED, ReportStatus.SUBMITTED):
            return report
        _write(report)
        report.status = ReportStatus.DRAFT
        report.save()
    return report


def _write(report: Report) -> None:
    today = timezone.localdate()
    data = workbook.report_data(area=report.area, period=parse_period(report.period), generated_on=today)
    content = workbook.report_workbook(data)
    old = report.file.name if report.file else None
    name = f"bao-cao-{report.area.code or report.area.pk}-{report.period}-{timezone.now():%Y%m%d%H%M%S}.xlsx"
    report.file.save(name, ContentFile(content), save=False)
    if old and old != report.file.name:
        transaction.on_commit(lambda: report.file.storage.delete(old))
    report.data = data
    report.generated_at = timezone.now()


def _require(acting_user, report: Report, action: str, message: str) -> None:
    if not policy.permits(acting_user, "report", action, report.area):
        raise PermissionDenied(message)


def report_reviewable_by(*, user, report: Report) -> bool:
    """Four-eyes: a submitted report is approved or returned by someone other than the person who submitted it."""
    return report.submitted_by_id is None or report.submitted_by_id != user.pk


def _require_second_pair_of_eyes(acting_user, report: Report) -> None:
    if not report_reviewable_by(user=acting_user, report=report):
        raise PermissionDenied(
            _("You submitted this report, so another province administrator must approve or return it.")
        )


@transaction.atomic
def report_submit(*, acting_user, report: Report) -> Report:
    report = Report.objects.select_for_update().select_related("area").get(pk=report.pk)
    _require(acting_user, report, "submit", _("Only commune officers and above can submit reports."))
    if report.status == ReportStatus.RETURNED:
        rollup.rollup_incremental()
        _write(report)
    elif report.status != ReportStatus.DRAFT:
        raise ValidationError({"status": [_("Only a draft or a returned report can be submitted.")]})
    report.status = ReportStatus.SUBMITTED
    report.submitted_by, report.submitted_at = acting_user, timezone.now()
    report.save()
    return report


@transaction.atomic
def report_approve(*, acting_user, report: Report) -> Report:
    report = Report.objects.select_for_update().select_related("area").get(pk=report.pk)
    _require(acting_user, report, "approve", _("Only province administrators can approve reports."))
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError({"status": [_("Only a submitted report can be approved.")]})
    _require_second_pair_of_eyes(acting_user, report)
    report.status = ReportStatus.APPROVED
    report.approved_by, report.approved_at = acting_user, timezone.now()
    report.save()
    return report


@transaction.atomic
def report_return(*, acting_user, report: Report, reason: str) -> Report:
    report = Report.objects.select_for_update().select_related("area").get(pk=report.pk)
    _require(acting_user, report, "return", _("Only province administrators can return reports."))
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError({"status": [_("Only a submitted report can be returned.")]})
    _require_second_pair_of_eyes(acting_user, report)
    reason = clean_text(reason or "", multiline=True)  # the page posts it as typed
    if not reason:
        raise ValidationError({"reason": [_("Say why the report is returned.")]})
    if len(reason) > NOTE_MAX_LENGTH:
        raise ValidationError({"reason": [_("At most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}]})
    report.status = ReportStatus.RETURNED
    report.return_reason, report.returned_at = reason, timezone.now()
    report.save()
    return report


def report_fail(*, report_id: int, error: str) -> None:
    Report.objects.filter(pk=report_id, status=ReportStatus.PENDING).update(
        status=ReportStatus.FAILED, error=error[:2000]
    )
