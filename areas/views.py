from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from areas import policy, services
from areas.forms import HamletForm
from areas.models import Area, Level


@login_required
def commune_hamlets(request, pk: int):
    """A commune's hamlets, and for commune officers (and above) a form to add one."""
    commune = get_object_or_404(Area.objects.restrict(request.user, "view").filter(level=Level.COMMUNE), pk=pk)
    can_edit = policy.permits(request.user, "area", "add", commune)
    form = HamletForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                hamlet = services.hamlet_create(parent=commune, acting_user=request.user, **form.cleaned_data)
            except ValidationError as error:
                for field, problems in error.detail.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, _("Hamlet “%(name)s” added.") % {"name": hamlet.name})
                return redirect("commune-hamlets", pk=commune.pk)
    hamlets = commune.children.filter(level=Level.HAMLET).order_by("name")
    return render(
        request,
        "areas/hamlets.html",
        {"commune": commune, "hamlets": hamlets, "form": form, "can_edit": can_edit and commune.is_current},
    )
