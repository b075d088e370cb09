from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from areas import policy, scoping
from areas.models import Area
from cnscd import serializers as clean
from cnscd.api import ScopedPrimaryKeyRelatedField
from members.models import Member, TrainingSession
from teams.models import Team


class MemberSerializer(clean.ModelSerializer):
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), rule=("member", "add"))
    user = ScopedPrimaryKeyRelatedField(
        queryset=User.objects.all(), rule=("member", "add"), allow_null=True, required=False
    )
    phone = clean.CharField(
        required=False, allow_blank=True, max_length=20, help_text=_("Vietnamese mobile number, e.g. 0912345678.")
    )
    citizen_id = clean.CharField(
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

    # Personal data of a member: left out (empty) for a user without the policy's ``member.view_personal`` on the
    # member's team (viewers read dashboards and reports only), and when no request says who is asking.
    PERSONAL = {"phone": "", "citizen_id_last4": "", "birth_year": None}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self._personal_visible(instance):
            data.update({key: value for key, value in self.PERSONAL.items() if key in data})
        return data

    def _personal_visible(self, member: Member) -> bool:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not policy.permits(user, "member", "view_personal"):
            return False
        # Usually the user reads personal data everywhere they see members (no query per member); a user who
        # also holds a role without it somewhere is checked on the member's own team.
        personal = scoping.scope_paths(user, policy.roles("member", "view_personal"))
        seen = scoping.scope_paths(user, policy.roles("member", "view"))
        if user.is_superuser or all(any(path.startswith(p) for p in personal) for path in seen):
            return True
        return policy.permits(user, "member", "view_personal", member.team.area)


class MemberRetireSerializer(serializers.Serializer):
    left_on = serializers.DateField()


class TrainingSessionSerializer(clean.ModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), rule=("trainingsession", "add"))
    attendees = ScopedPrimaryKeyRelatedField(
        queryset=Member.objects.all(), rule=("trainingsession", "add"), many=True, required=False
    )

    class Meta:
        model = TrainingSession
        fields = ["id", "area", "held_on", "topic", "organizer", "attendees", "notes"]
