import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from areas.models import Area
from cnscd.api import ScopedPrimaryKeyRelatedField
from households import services
from households.models import ActivityType, Category, Channel, Household, Visit

PHONE_RE = re.compile(r"^(?:\+84|0)\d{8,10}$")


class HouseholdSerializer(serializers.ModelSerializer):
    area = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.all(), roles=services.HOUSEHOLD_WRITERS, help_text=_("The household's hamlet.")
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), required=False, allow_empty=True
    )
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=15,
        help_text=_("Kept only with consent; shown masked to district and province staff."),
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "area",
            "code",
            "head_name",
            "address",
            "size",
            "phone",
            "consent_given",
            "categories",
            "has_smartphone",
            "has_dvctt_account",
            "has_cashless",
            "has_vneid",
        ]
        read_only_fields = ["has_dvctt_account", "has_cashless", "has_vneid"]
        # Uniqueness is checked by the service, with a clear message.
        validators: list = []

    def validate_phone(self, value: str) -> str:
        value = re.sub(r"[\s.\-()]", "", value or "")
        if value and not PHONE_RE.match(value):
            raise serializers.ValidationError(_("Enter a Vietnamese phone number, e.g. 0912345678."))
        return value

    def validate_categories(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def validate_size(self, value: int) -> int:
        if value < 1:
            raise serializers.ValidationError(_("A household has at least one person."))
        return value

    def to_representation(self, instance: Household) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if data.get("phone") and not services.household_phone_visible(
            user=getattr(request, "user", None), household=instance
        ):
            data["phone"] = services.mask_phone(data["phone"])
        return data


class ActivityTypeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = ActivityType
        fields = ["code", "name", "name_vi", "name_en", "order", "household_flag"]


class VisitActivityInputSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=40, help_text=_("An activity code of the catalogue."))
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=10000,
        error_messages={
            "invalid": _("The number of people helped must be a whole number of at least 1."),
            "min_value": _("The number of people helped must be a whole number of at least 1."),
        },
    )


class VisitWriteSerializer(serializers.Serializer):
    """The shape of a visit sent by a client; the rules are applied by ``households.services``."""

    client_uuid = serializers.UUIDField()
    household = serializers.IntegerField(required=False, allow_null=True)
    area = serializers.IntegerField(required=False, allow_null=True)
    team = serializers.IntegerField(required=False, allow_null=True)
    member = serializers.IntegerField(required=False, allow_null=True)
    date = serializers.DateField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    activities = VisitActivityInputSerializer(many=True, allow_empty=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class VisitActivitySerializer(serializers.Serializer):
    type = serializers.CharField()
    quantity = serializers.IntegerField()


class VisitSerializer(serializers.ModelSerializer):
    activities = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "client_uuid",
            "household",
            "area",
            "team",
            "member",
            "date",
            "channel",
            "activities",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(VisitActivitySerializer(many=True))
    def get_activities(self, visit: Visit) -> list[dict]:
        return [{"type": a.activity_type.code, "quantity": a.quantity} for a in visit.activities.all()]


def visit_data_payload(data: services.VisitData) -> dict:
    """The representation of a visit just stored, built without reading it back."""
    return {
        "id": data.id,
        "client_uuid": str(data.client_uuid),
        "household": data.household.pk if data.household else None,
        "area": data.area.pk,
        "team": data.member.team_id,
        "member": data.member.pk,
        "date": data.date.isoformat(),
        "channel": data.channel,
        "activities": [{"type": code, "quantity": quantity} for code, quantity in data.activities.items()],
        "note": data.note,
        "created_at": serializers.DateTimeField().to_representation(data.created_at),
    }


class VisitBulkSerializer(serializers.Serializer):
    visits = serializers.ListField(child=serializers.DictField(), max_length=500)


class VisitBulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "invalid"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(required=False)


class VisitBulkResponseSerializer(serializers.Serializer):
    results = VisitBulkResultSerializer(many=True)
