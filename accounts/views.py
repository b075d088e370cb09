from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from areas.models import Area, Level


@login_required
def home(request):
    """The start page: the user's roles and what their area holds."""
    assignments = list(request.user.role_assignments.select_related("area").order_by("role", "area__path"))
    chain_ids = {int(i) for a in assignments for i in a.area.path.strip("/").split("/") if i}
    names = {area.pk: area for area in Area.objects.filter(pk__in=chain_ids)}
    for assignment in assignments:
        ids = [int(i) for i in assignment.area.path.strip("/").split("/") if i]
        assignment.chain = [names[i] for i in reversed(ids) if i in names]
    counts = dict(Area.objects.for_user(request.user).current().values_list("level").annotate(n=Count("id")).order_by())
    units = [{"label": label, "count": counts[value]} for value, label in Level.choices if counts.get(value)]
    return render(request, "home.html", {"assignments": assignments, "units": units})
