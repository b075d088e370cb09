"""Import pages: upload (with a dry run), progress (htmx polling), per-row errors, templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from areas import policy
from cnscd.forms import form_errors
from imports import registry, services
from imports.base import workbook_bytes
from imports.forms import KIND_LABELS, ImportForm
from imports.models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(acting_user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            return redirect("imports:import-detail", pk=job.pk)
    jobs = ImportJob.objects.restrict(request.user, "view")[:10]
    can_export_households = policy.permits(request.user, "household", "export")
    return render(
        request,
        "imports/import_start.html",
        {"form": form, "jobs": jobs, "kinds": KIND_LABELS, "can_export_households": can_export_households},
    )


def _job(request, pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.restrict(request.user, "view"), pk=pk)


@login_required
def import_detail(request, pk: int):
    return render(request, "imports/import_detail.html", {"job": _job(request, pk), "kinds": KIND_LABELS})


@login_required
def import_progress(request, pk: int):
    """The status block alone, polled by htmx every second until the job is finished."""
    return render(request, "imports/_progress.html", {"job": _job(request, pk)})


@login_required
@require_POST
def import_confirm(request, pk: int):
    job = _job(request, pk)
    try:
        again = services.import_job_confirm(acting_user=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("imports:import-detail", pk=job.pk)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("imports:import-detail", pk=job.pk)
    return redirect("imports:import-detail", pk=again.pk)


@login_required
def import_template(request, kind: str):
    if kind not in registry.KINDS:
        raise Http404
    if not policy.permits(request.user, *registry.RULES[kind]):
        return render(request, "403.html", status=403)
    handler = registry.handler_class(kind)(acting_user=request.user)
    response = HttpResponse(workbook_bytes(handler.workbook()), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="mau-{kind}.xlsx"'
    return response
