import re
import threading
import uuid
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from areas.models import Area
from cnscd import phones, text
from cnscd import serializers as clean
from cnscd.api import ScopedPrimaryKeyRelatedField
from households import services, visit_rules
from households.models import ActivityType, Category, Channel, Household, Visit

MASKED_UNCHANGED = object()  # a masked phone sent back as it was read


class HouseholdSerializer(clean.ModelSerializer):
    area = ScopedPrimaryKeyRelatedField(
        queryset=Area.objects.all(), rule=("household", "add"), help_text=_("The household's hamlet.")
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(
            choices=Category.choices, error_messages={"invalid_choice": _("Unknown category: {input}.")}
        ),
        required=False,
        allow_empty=True,
    )
    phone = clean.CharField(
        required=False,
        allow_blank=True,
        max_length=phones.MAX_TYPED,
        help_text=_(
            "A Vietnamese mobile or landline, stored as 0…; kept only with consent; shown masked to district and "
            "province staff."
        ),
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
        if "*" in value:
            # District and province staff read phones masked; sent back unchanged (read, edit, PUT) it counts as
            # not sent (``validate``), so the stored number stays, or goes if consent is withdrawn. Any other
            # masked text would overwrite the number with asterisks.
            stored = self.instance.phone if isinstance(self.instance, Household) else ""
            if stored and value == phones.mask_phone(stored):
                return MASKED_UNCHANGED
            raise serializers.ValidationError(
                _("A masked phone number can only be sent back unchanged; enter the full number to change it.")
            )
        if not value:
            return value
        try:
            return phones.household(value)  # the rule of imports and pages too
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages[0]) from error

    def validate(self, attrs: dict) -> dict:
        if attrs.get("phone") is MASKED_UNCHANGED:
            del attrs["phone"]
        return attrs

    def validate_categories(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def validate_size(self, value: int) -> int:
        if value < 1:
            raise serializers.ValidationError(_("A household has at least one person."))
        return value

    def to_representation(self, instance: Household) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if data.get("phone"):
            data["phone"] = services.household_phone_shown(user=getattr(request, "user", None), household=instance)
        return data


class ActivityTypeSerializer(clean.ModelSerializer):
    name = clean.CharField(read_only=True)

    class Meta:
        model = ActivityType
        fields = ["code", "name", "name_vi", "name_en", "order", "household_flag", "requires_note"]


class VisitActivityInputSerializer(serializers.Serializer):
    type = clean.CharField(max_length=40, help_text=_("An activity code of the catalogue."))
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=10000,
        error_messages={
            "invalid": _("The number of people helped must be a whole number of at least 1."),
            "min_value": _("The number of people helped must be a whole number of at least 1."),
            "max_value": _("At most 10,000 people can be counted for one activity of a visit."),
        },
    )


class VisitWriteSerializer(serializers.Serializer):
    """The shape of a visit sent by a client; the rules are applied by ``households.visit_rules``."""

    client_uuid = serializers.UUIDField()
    household = serializers.IntegerField(required=False, allow_null=True)
    area = serializers.IntegerField(required=False, allow_null=True)
    team = serializers.IntegerField(required=False, allow_null=True)
    member = serializers.IntegerField(required=False, allow_null=True)
    date = serializers.DateField()
    channel = serializers.ChoiceField(choices=Channel.choices, error_messages={"invalid_choice": _("Unknown channel.")})
    activities = VisitActivityInputSerializer(many=True, allow_empty=True)
    note = clean.TextField(required=False, allow_blank=True, max_length=text.NOTE_MAX_LENGTH, default="")


_shapes = threading.local()
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_IDS = ("household", "area", "team", "member")


def _plain_visit(data) -> dict | None:
    """The validated data of a visit in the plain form phones send, or None for anything else.

    Offline sync validates hundreds of visits a request and DRF's field machinery was half of a visit's cost; this
    accepts only a subset of what ``VisitWriteSerializer`` accepts (JSON types as sent, canonical UUID and ISO
    date, printable text) and returns what it would return. Everything else, valid or not, goes to the serializer.
    """
    if type(data) is not dict:
        return None
    client_uuid, day, channel, activities = (data.get(k) for k in ("client_uuid", "date", "channel", "activities"))
    if not (type(client_uuid) is str and _UUID.match(client_uuid) and type(day) is str and _DATE.match(day)):
        return None
    if type(channel) is not str or channel not in visit_rules.CHANNELS or type(activities) is not list:
        return None
    try:
        result = {"client_uuid": uuid.UUID(client_uuid)}
        for name in _IDS:
            if name in data:
                value = data[name]
                if value is not None and (type(value) is not int or not -(2**63) <= value < 2**63):
                    return None
                result[name] = value
        result["date"] = date.fromisoformat(day)
    except ValueError:
        return None
    result["channel"] = channel
    parsed = []
    for activity in activities:
        if type(activity) is not dict:
            return None
        code, quantity = activity.get("type"), activity.get("quantity")
        if type(code) is not str or type(quantity) is not int or not 1 <= quantity <= 10000:
            return None
        code = text.clean_text(code)
        if not (0 < len(code) <= 40 and code.isprintable()):
            return None
        parsed.append({"type": code, "quantity": quantity})
    result["activities"] = parsed
    note = data.get("note", "")
    if type(note) is not str:
        return None
    note = text.clean_text(note, multiline=True)
    if len(note) > text.NOTE_MAX_LENGTH or not note.replace("\n", " ").replace("\t", " ").isprintable():
        return None
    result["note"] = note
    return result


def visit_shape(data) -> tuple[dict | None, dict | None]:
    """``data`` checked against ``VisitWriteSerializer``: (validated data, None) or (None, errors).

    A visit in the plain form phones send is checked by ``_plain_visit``; any other goes to the serializer. Each
    thread reuses one serializer, as a ListSerializer reuses its child: building one per visit (DRF deep-copies
    every declared field) cost more than validating the visit. An invalid visit gets its errors from a serializer of
    its own, worded exactly as ``is_valid()`` words them.
    """
    plain = _plain_visit(data)
    if plain is not None:
        return plain, None
    shape = getattr(_shapes, "visit", None)
    if shape is None:
        shape = _shapes.visit = VisitWriteSerializer()
    try:
        return shape.run_validation(data), None
    except serializers.ValidationError:
        serializer = VisitWriteSerializer(data=data)
        if serializer.is_valid():
            return serializer.validated_data, None
        return None, serializer.errors


class VisitActivitySerializer(serializers.Serializer):
    type = clean.CharField()
    quantity = serializers.IntegerField()


class VisitSerializer(clean.ModelSerializer):
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


def visit_data_payload(data: visit_rules.VisitData) -> dict:
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
