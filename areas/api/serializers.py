from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from areas.models import HAMLET_KINDS, Area
from cnscd import serializers as clean
from cnscd.api import ScopedPrimaryKeyRelatedField


class AreaSerializer(clean.ModelSerializer):
    """A unit of any level as the API shows it: a province has no parent, a commune's kind is Xã or Phường."""

    class Meta:
        model = Area
        fields = ["id", "code", "name", "level", "kind", "parent", "path", "valid_from", "valid_to"]
        read_only_fields = fields


class HamletSerializer(clean.ModelSerializer):
    """What a commune officer sends to create or edit a hamlet (answered with an ``AreaSerializer``)."""

    parent = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.all(), rule=("area", "add"), allow_null=False, required=True
    )
    kind = serializers.ChoiceField(
        choices=[(kind, kind) for kind in HAMLET_KINDS], help_text=_("Kind of hamlet (Thôn, Ấp, Bản, Khóm…).")
    )

    class Meta:
        model = Area
        fields = ["code", "name", "kind", "parent"]
