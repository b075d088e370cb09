"""Writes on administrative units."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from areas.models import Area, Level


@transaction.atomic
def hamlet_create(*, parent: Area, name: str, kind: str, code: str = "", acting_user=None) -> Area:
    """Create a hamlet under a commune.

    Commune officers may only use a commune valid today; superusers and imports (``acting_user=None``) may
    place one under a former commune, to record history from before a reorganisation.
    """
    name = " ".join(name.split())
    if parent.level != Level.COMMUNE:
        raise ValidationError({"parent": [_("A hamlet must belong to a commune.")]})
    privileged = acting_user is None or acting_user.is_superuser
    if not privileged and not parent.is_current:
        raise ValidationError({"parent": [_("This commune no longer exists; choose a current commune.")]})
    if not name:
        raise ValidationError({"name": [_("Enter the hamlet's name.")]})
    if Area.objects.filter(parent=parent, level=Level.HAMLET, name__iexact=name).exists():
        raise ValidationError({"name": [_("This commune already has a hamlet with this name.")]})
    hamlet = Area.objects.create(
        structure=parent.structure,
        level=Level.HAMLET,
        kind=kind,
        code=code,
        name=name,
        parent=parent,
        valid_from=parent.valid_from,
        valid_to=parent.valid_to,
    )
    hamlet.path = f"{parent.path}{hamlet.pk}/"
    hamlet.save(update_fields=["path"])
    return hamlet


@transaction.atomic
def hamlet_update(*, hamlet: Area, acting_user=None, **fields) -> Area:
    if hamlet.level != Level.HAMLET:
        raise ValidationError(_("Only hamlets can be edited here."))
    if "name" in fields:
        fields["name"] = " ".join(fields["name"].split())
        clash = Area.objects.filter(parent=hamlet.parent, level=Level.HAMLET, name__iexact=fields["name"])
        if clash.exclude(pk=hamlet.pk).exists():
            raise ValidationError({"name": [_("This commune already has a hamlet with this name.")]})
    for field, value in fields.items():
        setattr(hamlet, field, value)
    hamlet.save()
    return hamlet
