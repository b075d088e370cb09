from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cnscd import serializers as clean
from imports import registry
from imports.models import ImportJob


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text=_("Row number in the spreadsheet (null: the file)."))
    field = clean.CharField(help_text=_("Column title."))
    message = clean.CharField()


class ImportJobSerializer(clean.ModelSerializer):
    kind = serializers.ChoiceField(choices=[(k, k) for k in registry.kinds()])
    file = serializers.FileField(write_only=True, help_text=_("An .xlsx or UTF-8 .csv file in the template's layout."))
    dry_run = serializers.BooleanField(default=False)
    errors = ImportErrorSerializer(many=True, read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "file",
            "original_name",
            "dry_run",
            "status",
            "rows",
            "processed",
            "created",
            "updated",
            "unchanged",
            "errors",
            "created_at",
            "finished_at",
        ]
        read_only_fields = [
            "original_name",
            "status",
            "rows",
            "processed",
            "created",
            "updated",
            "unchanged",
            "created_at",
            "finished_at",
        ]
