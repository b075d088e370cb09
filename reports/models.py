"""Indicators, targets, the KPI summary tables the rollup fills, and the monthly reports.

The rollup (``reports/rollup.py``) writes two tables in SQL: ``Fact`` — the activity figures of the visits
recorded on exactly one area (a hamlet, or a commune's one-stop desk) for a month, quarter or year — and
``KpiValue`` — every indicator for every area's whole subtree and period, which the API, the pages and the
reports read. A value that nobody reported has no row: it is shown empty, never as a silent 0.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from areas.scoping import ScopedQuerySet
from cnscd import text


class Aggregation(models.TextChoices):
    """How an indicator behaves over time and the area tree."""

    SUM = "sum", _("Summed over the period")
    DISTINCT = "distinct", _("Distinct over the period (not additive over time)")
    STOCK = "stock", _("As of the end of the period")
    RATIO = "ratio", _("Percentage as of the end of the period")


class Indicator(models.Model):
    """One entry of the indicator catalogue. Activity indicators mirror the activity catalogue (same code)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = text.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = text.CharField(_("name (English)"), max_length=200)
    unit = text.CharField(_("unit"), max_length=40)
    description = text.TextField(_("how it is computed"), blank=True)
    aggregation = models.CharField(_("aggregation"), max_length=10, choices=Aggregation.choices)
    activity_type = models.OneToOneField(
        "households.ActivityType", null=True, blank=True, on_delete=models.CASCADE, related_name="indicator"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["order", "code"]
        constraints = text.constraints("indicator", "name_vi", "name_en", "unit", notes=("description",))

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class TargetQuerySet(ScopedQuerySet):
    area_path_field = "area__path"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Target(models.Model):
    """A target (chỉ tiêu) for an indicator, an area and a year — or one month of it when ``month`` is set."""

    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE)
    # A unit with targets is not deleted (its targets would go silently): the deletion is refused.
    area = models.ForeignKey("areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    value = models.DecimalField(_("target"), max_digits=14, decimal_places=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["year", "month", "indicator__order", "area__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "year", "month"], nulls_distinct=False, name="target_once"
            ),
            models.CheckConstraint(condition=Q(month__isnull=True) | Q(month__range=(1, 12)), name="target_month"),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.area_id} {self.year}-{self.month or ''}: {self.value}"


class Fact(models.Model):
    """The figures of exactly this area (not its subtree) for one period: its own visits, teams, hamlets.

    Filled by the rollup only. ``period`` is ``2026``, ``2026-Q4`` or ``2026-10``; ``indicator`` a code.
    """

    pk = models.CompositePrimaryKey("area", "period", "indicator")
    area = models.ForeignKey(
        "areas.Area", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    period = models.CharField(max_length=10)
    indicator = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=16, decimal_places=1)

    class Meta:
        indexes = [models.Index(fields=["period"], name="fact_period")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.period} {self.indicator}={self.value}"


class KpiValue(models.Model):
    """An indicator's value for an area's whole subtree and a period, as the last rollup computed it."""

    pk = models.CompositePrimaryKey("area", "period", "indicator")
    area = models.ForeignKey(
        "areas.Area", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    period = models.CharField(max_length=10)
    indicator = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=16, decimal_places=1)
    computed_at = models.DateTimeField()

    class Meta:
        pass  # every read names the area first: the primary key (area, period, indicator) serves them all

    def __str__(self) -> str:
        return f"{self.area_id} {self.period} {self.indicator}={self.value}"


class Dirty(models.Model):
    """What changed since the last rollup, written by triggers (so bulk writes and imports are caught too).

    ``kind``: ``v`` visits of ``area`` on ``day``; ``r`` rosters (teams, members); ``t`` the area tree.
    """

    VISITS, ROSTER, TREE = "v", "r", "t"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=1)
    area_id = models.BigIntegerField(null=True)
    day = models.DateField(null=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.area_id} {self.day}"


class RollupRun(models.Model):
    """One run of the rollup: when, which kind, how long, how many rows (the freshness shown everywhere)."""

    FULL, INCREMENTAL = "full", "incremental"

    kind = models.CharField(max_length=12, choices=[(FULL, FULL), (INCREMENTAL, INCREMENTAL)])
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    seconds = models.FloatField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"{self.kind} {self.finished_at:%Y-%m-%d %H:%M} ({self.seconds:.1f} s)"


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Being generated")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for correction")
    FAILED = "failed", _("Generation failed")


class ReportQuerySet(ScopedQuerySet):
    area_path_field = "area__path"


def report_upload_to(report: Report, filename: str) -> str:
    return f"reports/{report.period}/{filename}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Report(models.Model):
    """The monthly activity report of an area: generated in the background, submitted, approved or returned.

    ``data`` is the snapshot the workbook and the print view are made from; once approved neither changes.
    """

    area = models.ForeignKey("areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("month"), max_length=7)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    file = models.FileField(_("file"), upload_to=report_upload_to, blank=True)
    data = models.JSONField(default=dict, blank=True, editable=False)
    error = text.TextField(blank=True, editable=False)  # written by the system (cut to its bound), never typed
    return_reason = text.TextField(_("reason for returning"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-period", "area__path"]
        constraints = [
            models.UniqueConstraint(fields=["area", "period"], name="report_once_per_area_month"),
            *text.constraints("report", notes=("return_reason",), bounded={"error": text.NOTE_MAX_LENGTH}),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.period}"
