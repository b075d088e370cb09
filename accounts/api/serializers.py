from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Role, User
from areas.models import Area
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


class UserSerializer(serializers.ModelSerializer):
    assignments = AssignmentSerializer(many=True, source="role_assignments", required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "is_active", "assignments", "password"]

    def validate(self, attrs):
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": [_("Set a password for the new user.")]})
        return attrs
