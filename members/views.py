"""Roster pages: add, edit and retire a member (routed in teams/urls.py, under the team pages)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from areas import policy
from cnscd.forms import form_errors
from members import services
from members.forms import MemberForm, RetireForm
from members.models import Member
from teams.models import Team


def _can_write(request, team: Team) -> bool:
    return policy.permits(request.user, "member", "change", team.area)


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request, pk: int):
    team = get_object_or_404(Team.objects.restrict(request.user, "view").select_related("area"), pk=pk)
    if not _can_write(request, team):
        return render(request, "403.html", status=403)
    form = MemberForm(request.POST or None, initial={"joined_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(acting_user=request.user, team=team, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("%(name)s added to the team.") % {"name": member.full_name})
            return redirect("teams:team-detail", pk=team.pk)
    return render(request, "members/member_form.html", {"form": form, "team": team, "title": _("Add a member")})


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, pk: int):
    member = get_object_or_404(Member.objects.restrict(request.user, "view").select_related("team__area"), pk=pk)
    if not _can_write(request, member.team):
        return render(request, "403.html", status=403)
    fields = ["full_name", "gender", "birth_year", "phone", "organization", "role", "joined_on", "trained_on"]
    form = MemberForm(request.POST or None, initial={f: getattr(member, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not data["citizen_id"]:
            data.pop("citizen_id")  # empty: keep the stored one
        try:
            services.member_update(acting_user=request.user, member=member, **data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Member saved."))
            return redirect("teams:team-detail", pk=member.team_id)
    return render(
        request,
        "members/member_form.html",
        {"form": form, "team": member.team, "member": member, "title": _("Edit a member")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_retire(request, pk: int):
    member = get_object_or_404(Member.objects.restrict(request.user, "view").select_related("team__area"), pk=pk)
    if not _can_write(request, member.team):
        return render(request, "403.html", status=403)
    form = RetireForm(request.POST or None, initial={"left_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_retire(acting_user=request.user, member=member, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            form_errors(form, error)
        else:
            messages.success(request, _("%(name)s left the team.") % {"name": member.full_name})
            return redirect("teams:team-detail", pk=member.team_id)
    return render(request, "members/member_retire.html", {"form": form, "member": member})
