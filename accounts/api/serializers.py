from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Role, User
from accounts.usernames import UsernameValidator
from areas.models import Area
from cnscd import serializers as clean
from cnscd.api import ScopedPrimaryKeyRelatedField


class AssignmentSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all())

    def validate(self, attrs):
        # A PATCH makes nested fields optional too; an assignment is still both a role and an area.
        missing = {name: [_("This field is required.")] for name in ("role", "area") if name not in attrs}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class UserSerializer(clean.ModelSerializer):
    # Uniqueness (case, Unicode form and look-alikes, one message whoever holds the name) is checked by
    # accounts.services, not by DRF's UniqueValidator, which compares the exact spelling only.
    username = clean.CharField(
        max_length=150,
        validators=[UsernameValidator()],
        help_text=_("Letters (with or without Vietnamese diacritics), digits and . _ - @ +; at most 150."),
    )
    assignments = AssignmentSerializer(many=True, source="role_assignments", required=False)
    # Passwords are taken as typed (DRF strips their ends): the text cleaning never rewrites them.
    password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text=_("A new password deletes the user's API tokens and ends their sessions."),
    )
    current_password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text=_("Needed only to change your own password."),
    )

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "is_active", "assignments", "password", "current_password"]
        extra_kwargs = {"is_active": {"help_text": _("False deactivates the user: their API tokens and sessions end.")}}

    def validate(self, attrs):
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": [_("Set a password for the new user.")]})
        return attrs
