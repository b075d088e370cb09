"""Pages: the monthly reports of the user's scope (prepare, submit, approve, return) and the A4 print view."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from areas import policy, scoping
from areas.models import Area, Level
from cnscd.routers import is_id
from reports import selectors, services
from reports.models import Report, ReportStatus
from reports.workbook import previous_month, report_headers


def _error_text(error: ValidationError | PermissionDenied) -> str:
    """A service's refusal as one line for the page's messages (these pages post buttons, not forms)."""
    if isinstance(error, PermissionDenied):
        return str(error) if error.args else _("Your role does not allow this action.")
    return " ".join(error.messages)


def _report_areas(user) -> list[Area]:
    """Areas the user may prepare reports for: their own units and the communes/districts below them."""
    paths = scoping.scope_paths(user, policy.roles("report", "add"))
    if user.is_superuser:
        return list(Area.objects.current().filter(level=Level.PROVINCE).order_by("code"))
    query = Area.objects.none()
    for path in paths:
        query |= Area.objects.filter(path__startswith=path).exclude(level=Level.HAMLET)
    return list(query.order_by("path")[:500])


@login_required
def report_list(request):
    reports = Report.objects.restrict(request.user, "view").select_related("area")
    status = request.GET.get("status")
    if status in ReportStatus.values:
        reports = reports.filter(status=status)
    can_approve = policy.permits(request.user, "report", "approve")
    reports = list(reports[:200])
    for report in reports:  # four-eyes: no approve/return buttons on a report the user submitted
        report.reviewable = can_approve and services.report_reviewable_by(user=request.user, report=report)
    return render(
        request,
        "reports/report_list.html",
        {
            "reports": reports,
            "areas": _report_areas(request.user),
            "default_month": previous_month(timezone.localdate()),
            "statuses": ReportStatus.choices,
            "status": status,
            "can_approve": can_approve,
        },
    )


@login_required
@require_POST
def report_create(request):
    area_id = request.POST.get("area", "")
    area = Area.objects.restrict(request.user, "view").filter(pk=area_id if area_id.isdigit() else 0).first()
    if area is None:
        messages.error(request, _("Choose an area of your scope."))
        return redirect("reports:report-list")
    try:
        services.report_request(acting_user=request.user, area=area, period=request.POST.get("period", ""))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The report is being prepared; it appears below in a moment."))
    return redirect("reports:report-list")


@login_required
@require_POST
def report_action(request, pk: int, action: str):
    report = get_object_or_404(Report.objects.restrict(request.user, "view"), pk=pk)
    try:
        if action == "submit":
            services.report_submit(acting_user=request.user, report=report)
            messages.success(request, _("The report was submitted."))
        elif action == "approve":
            services.report_approve(acting_user=request.user, report=report)
            messages.success(request, _("The report was approved."))
        elif action == "return":
            services.report_return(acting_user=request.user, report=report, reason=request.POST.get("reason", ""))
            messages.success(request, _("The report was returned to the commune."))
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    return redirect("reports:report-list")


@login_required
def report_print(request, pk: int):
    """The report as an A4 page to print, from the same snapshot as the workbook."""
    report = get_object_or_404(Report.objects.restrict(request.user, "view").select_related("area"), pk=pk)
    if not report.data:
        raise Http404
    data = report.data
    headers = report_headers(data)

    def cells(row: dict) -> list:
        return [(row["cells"][code][part], part == "achievement") for _label, code, part in headers]

    rows = [{"name": r["name"], "cells": cells(r)} for r in data["rows"]]
    return render(
        request,
        "reports/report_print.html",
        {"report": report, "data": data, "headers": headers, "rows": rows, "total": cells(data["total"])},
    )


@login_required
def dashboard(request):
    """KPIs against targets, a trend, a ranking of the child areas, idle teams; drill down to any area."""
    from reports.dashboard import dashboard_data

    today = timezone.localdate()
    if not policy.permits(request.user, "dashboard", "view"):
        # Defaults deny: a login without a role sees no unit at all, not somebody else's province.
        return render(request, "no_role.html", status=403)
    scope = policy.areas(request.user, "dashboard", "view")
    area_id = request.GET.get("area")
    if area_id:
        area = get_object_or_404(scope, pk=area_id if is_id(area_id) else 0)
    else:
        area = selectors.default_area(request.user)
        if area is None and request.user.is_superuser:
            area = Area.objects.current().filter(level=Level.PROVINCE).order_by("code").first()
        if area is None:
            raise Http404
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2020), today.year)
    data = dashboard_data(area=area, year=year, today=today, rank_by=request.GET.get("rank", ""))
    data["years"] = list(range(today.year, 2021, -1))
    # The breadcrumb shows only the ancestors inside the user's scope.
    data["ancestors"] = [a for a in data["ancestors"] if policy.permits(request.user, "dashboard", "view", a)]
    return render(request, "reports/dashboard.html", data)
