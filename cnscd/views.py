"""The portal's start page and login, which gather what every app holds for a user.

They live in the project package, above the apps (as NetBox's home view does), so that accounts need not import
the visit log's roster rules (``households`` → ``members``) to send a team member to the visit log.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse

from areas.models import Area, Level
from households.visits import own_members


class LoginView(auth_views.LoginView):
    """Log in; without an explicit ``?next=``, a team member on an active roster lands on the visit log."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        if own_members(self.request.user):
            return reverse("visit-log")
        return super().get_default_redirect_url()


@login_required
def home(request):
    """The start page: the user's roles and what their area holds."""
    assignments = list(request.user.role_assignments.select_related("area").order_by("role", "area__path"))
    chain_ids = {int(i) for a in assignments for i in a.area.path.strip("/").split("/") if i}
    names = {area.pk: area for area in Area.objects.filter(pk__in=chain_ids)}
    for assignment in assignments:
        ids = [int(i) for i in assignment.area.path.strip("/").split("/") if i]
        assignment.chain = [names[i] for i in reversed(ids) if i in names]
    counts = dict(
        Area.objects.restrict(request.user, "view").current().values_list("level").annotate(n=Count("id")).order_by()
    )
    units = [{"label": label, "count": counts[value]} for value, label in Level.choices if counts.get(value)]
    return render(
        request,
        "home.html",
        {"assignments": assignments, "units": units, "logs_visits": bool(own_members(request.user))},
    )
