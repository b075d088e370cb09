from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from areas.models import Area
from cnscd.api import ScopedPrimaryKeyRelatedField
from members.models import Member, TrainingSession
from teams.models import Team


class MemberSerializer(serializers.ModelSerializer):
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), rule=("member", "add"))
    user = ScopedPrimaryKeyRelatedField(
        queryset=User.objects.all(), rule=("member", "add"), allow_null=True, required=False
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text=_("Vietnamese mobile number, e.g. 0912345678.")
    )
    citizen_id = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=20,
        help_text=_("Citizen-ID (12 digits). Stored only as a keyed hash and its last 4 digits."),
    )
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "team",
            "user",
            "full_name",
            "gender",
            "birth_year",
            "phone",
            "citizen_id",
            "citizen_id_last4",
            "organization",
            "role",
            "joined_on",
            "left_on",
            "is_active",
            "trained_on",
        ]
        read_only_fields = ["citizen_id_last4"]
        validators = []  # the rules live in members.services, with clear messages


class MemberRetireSerializer(serializers.Serializer):
    left_on = serializers.DateField()


class TrainingSessionSerializer(serializers.ModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), rule=("trainingsession", "add"))
    attendees = ScopedPrimaryKeyRelatedField(
        queryset=Member.objects.all(), rule=("trainingsession", "add"), many=True, required=False
    )

    class Meta:
        model = TrainingSession
        fields = ["id", "area", "held_on", "topic", "organizer", "attendees", "notes"]
