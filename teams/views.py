"""Pages for commune officers: the teams of their area, a team's roster, found/edit/dissolve; roster export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from areas import policy
from areas.models import Area, Level
from cnscd.forms import form_errors
from cnscd.routers import is_id
from households.exports import export_log
from imports.base import workbook_bytes
from members.models import Member
from members.resources import MemberImport
from teams import services
from teams.forms import DissolveForm, TeamForm
from teams.models import Team


def _forbidden(request):
    return render(request, "403.html", status=403)


def _scoped_team(request, pk: int) -> Team:
    teams = Team.objects.restrict(request.user, "view").select_related("area__parent").with_roster()
    return get_object_or_404(teams, pk=pk)


@login_required
def team_list(request):
    """Teams of the user's area (or of ``?area=``), with active member counts and roster warnings."""
    teams = Team.objects.restrict(request.user, "view").select_related("area__parent").with_roster()
    area = None
    if is_id(request.GET.get("area", "")):
        area = get_object_or_404(Area.objects.restrict(request.user, "view"), pk=request.GET["area"])
        teams = teams.filter(area__path__startswith=area.path)
    if request.GET.get("status") in ("active", "dissolved"):
        teams = teams.filter(status=request.GET["status"])
    page = Paginator(teams.order_by("area__path", "name"), 100).get_page(request.GET.get("page"))
    communes = (
        Area.objects.restrict(request.user, "view").current().filter(level=Level.COMMUNE).order_by("name")
        if not request.user.role_assignments.filter(area__level__in=[Level.COMMUNE, Level.HAMLET]).exists()
        else Area.objects.none()
    )
    return render(
        request,
        "teams/team_list.html",
        {
            "page": page,
            "area": area,
            "communes": communes[:300],
            "can_found": policy.permits(request.user, "team", "add"),
            "can_export": policy.permits(request.user, "member", "export"),
        },
    )


@login_required
def team_detail(request, pk: int):
    team = _scoped_team(request, pk)
    members = list(team.members.select_related("user").order_by("left_on", "role", "full_name"))
    return render(
        request,
        "teams/team_detail.html",
        {
            "team": team,
            "active_members": [m for m in members if m.is_active],
            "former_members": [m for m in members if not m.is_active],
            "can_edit_team": policy.permits(request.user, "team", "change", team.area),
            "can_edit_roster": team.is_active and policy.permits(request.user, "member", "change", team.area),
            # phones and birth years: not for viewers (dashboards and reports only)
            "show_personal": policy.permits(request.user, "member", "view_personal", team.area),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_found(request):
    if not policy.permits(request.user, "team", "add"):
        return _forbidden(request)
    initial = {"established_on": timezone.localdate()}
    if is_id(request.GET.get("area", "")):
        initial["area"] = request.GET["area"]
    form = TeamForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_found(acting_user=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Team “%(name)s” founded.") % {"name": team.name})
            return redirect("teams:team-detail", pk=team.pk)
    return render(request, "teams/team_form.html", {"form": form, "title": _("Found a team")})


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int):
    team = _scoped_team(request, pk)
    if not policy.permits(request.user, "team", "change", team.area):
        return _forbidden(request)
    fields = ["area", "name", "established_on", "decision_number", "decision_issuer", "zalo_group_url", "notes"]
    form = TeamForm(request.POST or None, user=request.user, initial={f: getattr(team, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(acting_user=request.user, team=team, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Team saved."))
            return redirect("teams:team-detail", pk=team.pk)
    return render(request, "teams/team_form.html", {"form": form, "team": team, "title": _("Edit the team")})


@login_required
@require_http_methods(["GET", "POST"])
def team_dissolve(request, pk: int):
    team = _scoped_team(request, pk)
    if not policy.permits(request.user, "team", "dissolve", team.area):
        return _forbidden(request)
    form = DissolveForm(request.POST or None, initial={"dissolved_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.team_dissolve(acting_user=request.user, team=team, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Team “%(name)s” dissolved.") % {"name": team.name})
            return redirect("teams:team-detail", pk=team.pk)
    return render(request, "teams/team_dissolve.html", {"form": form, "team": team})


@login_required
def roster_export(request):
    """The roster of the user's scope (or of ``?area=``: a commune, a province…) in the import template's layout.

    Personal data: the policy's ``member.export``, and logged."""
    if not policy.permits(request.user, "member", "export"):
        return _forbidden(request)
    members = Member.objects.restrict(request.user, "export")
    name, area = "danh-sach-thanh-vien", None
    if is_id(request.GET.get("area", "")):
        area = get_object_or_404(policy.areas(request.user, "member", "export"), pk=request.GET["area"])
        members = members.filter(team__area__path__startswith=area.path)
        name += f"-{area.code or area.pk}"
    if request.GET.get("active") == "1":
        members = members.active()
    handler = MemberImport(acting_user=request.user)
    rows = list(handler.export_rows(members))
    content = workbook_bytes(handler.workbook(rows))
    export_log(acting_user=request.user, kind="roster_xlsx", rows=len(rows), area=area, params=dict(request.GET))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
