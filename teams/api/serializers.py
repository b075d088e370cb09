from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from areas.models import Area
from cnscd import serializers as clean
from cnscd.api import ScopedPrimaryKeyRelatedField
from teams.models import Team


class TeamSerializer(clean.ModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), rule=("team", "add"))
    member_count = serializers.IntegerField(source="active_member_count", read_only=True, default=0)
    leader = serializers.IntegerField(source="leader_pk", read_only=True, default=None, allow_null=True)
    leader_name = clean.CharField(read_only=True, default=None, allow_null=True)
    warnings = serializers.ListField(
        child=clean.CharField(), read_only=True, help_text=_("Roster warnings (not errors).")
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "area",
            "name",
            "established_on",
            "decision_number",
            "decision_issuer",
            "status",
            "dissolved_on",
            "zalo_group_url",
            "notes",
            "member_count",
            "leader",
            "leader_name",
            "warnings",
        ]
        read_only_fields = ["status", "dissolved_on"]
        validators = []  # the rules live in teams.services, with clear messages


class TeamDissolveSerializer(serializers.Serializer):
    dissolved_on = serializers.DateField()
