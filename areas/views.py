from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from areas import policy, reorganization, services
from areas.forms import HamletForm
from areas.models import Area, Level, RoleMove, RoleMoveStatus
from cnscd.forms import form_errors


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
                form_errors(form, error)
            else:
                messages.success(request, _("Hamlet “%(name)s” added.") % {"name": hamlet.name})
                return redirect("commune-hamlets", pk=commune.pk)
    hamlets = commune.children.filter(level=Level.HAMLET).order_by("name")
    return render(
        request,
        "areas/hamlets.html",
        {"commune": commune, "hamlets": hamlets, "form": form, "can_edit": can_edit and commune.is_current},
    )


def _role_move_decide(request) -> str:
    """Carry out the posted decision on one move (``confirm``/``refuse``) or on every non-widening one; the message
    that says what happened."""
    action = request.POST.get("action")
    if action == "confirm_non_widening":
        n = reorganization.role_moves_confirm_non_widening(acting_user=request.user)
        return _("%(n)s moves that widen no scope confirmed.") % {"n": n}
    if action not in ("confirm", "refuse"):
        raise ValidationError(_("Unknown action."))
    pk = request.POST.get("move", "")
    if not pk.isdigit():
        raise ValidationError(_("Choose a move."))
    role_move = get_object_or_404(RoleMove.objects.restrict(request.user, "confirm"), pk=int(pk))
    if action == "confirm":
        reorganization.role_move_confirm(role_move=role_move, acting_user=request.user)
        text, where = _("%(user)s is now %(role)s of %(area)s."), role_move.to_area
    else:
        reorganization.role_move_refuse(role_move=role_move, acting_user=request.user)
        text, where = _("Refused: %(user)s no longer holds %(role)s on %(area)s."), role_move.from_area
    return text % {"user": role_move.user, "role": role_move.role_label, "area": where.name}


@login_required
def reorganization_roles(request):
    """The reorganisation's role moves for a province administrator: each proposed move, the widening ones marked
    with what they add, confirmed or refused one by one (or every non-widening one at once)."""
    if not policy.permits(request.user, "rolemove", "view"):
        return render(request, "403.html", status=403)
    if request.method == "POST":
        if not policy.permits(request.user, "rolemove", "confirm"):
            return render(request, "403.html", status=403)
        try:
            messages.success(request, _role_move_decide(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("reorganization-roles")
    waiting = list(reorganization.pending_role_moves(request.user))
    decided = (
        RoleMove.objects.restrict(request.user, "view")
        .exclude(status=RoleMoveStatus.PROPOSED)
        .select_related("user", "from_area", "to_area", "decided_by")
        .order_by("-decided_at", "-pk")[:20]
    )
    return render(
        request,
        "areas/reorganization_roles.html",
        {
            "waiting": waiting,
            "non_widening": sum(1 for m in waiting if not m.widens),
            "widening": sum(1 for m in waiting if m.widens),
            "decided": decided,
        },
    )
