from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from areas.models import Area
from cnscd import serializers as clean
from cnscd import text
from cnscd.api import ScopedPrimaryKeyRelatedField
from reports.models import Indicator, Report, Target


class IndicatorSerializer(clean.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["code", "name", "name_vi", "name_en", "unit", "description", "aggregation"]


class TargetSerializer(clean.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), rule=("target", "add"))
    month = serializers.IntegerField(min_value=1, max_value=12, allow_null=True, required=False, default=None)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    value = serializers.DecimalField(max_digits=14, decimal_places=1, min_value=0)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Target
        fields = ["id", "indicator", "area", "year", "month", "value", "warnings"]
        validators = []  # posting an existing (indicator, area, year, month) replaces its value

    def get_warnings(self, target) -> list[str]:
        return self.context.get("warnings", {}).get(target.pk, [])


class KpiSerializer(serializers.Serializer):
    area = serializers.IntegerField()
    area_name = clean.CharField()
    indicator = clean.CharField()
    period = clean.CharField()
    value = serializers.DecimalField(max_digits=16, decimal_places=1, allow_null=True, coerce_to_string=False)
    target = serializers.DecimalField(max_digits=16, decimal_places=1, allow_null=True, coerce_to_string=False)
    achievement = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True, coerce_to_string=False)
    computed_at = serializers.DateTimeField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True, required=False)


class ReportSerializer(clean.ModelSerializer):
    area = ScopedPrimaryKeyRelatedField(queryset=Area.objects.all(), rule=("report", "add"))
    area_name = clean.CharField(source="area.name", read_only=True)
    file = serializers.SerializerMethodField()
    period = clean.RegexField(
        r"^\d{4}-\d{2}$", error_messages={"invalid": _("Give the month as YYYY-MM, e.g. 2026-10.")}
    )

    class Meta:
        model = Report
        fields = ["id", "area", "area_name", "period", "status", "file", "created_at", "generated_at",
                  "submitted_at", "approved_at", "returned_at", "return_reason", "error"]  # fmt: skip
        validators = []  # an existing report of the month is the service's business (regenerate or refuse)
        read_only_fields = ["status", "created_at", "generated_at", "submitted_at", "approved_at", "returned_at",
                            "return_reason", "error"]  # fmt: skip

    def get_file(self, report) -> str | None:
        if not report.file:
            return None
        url = reverse("report-download", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ReturnSerializer(serializers.Serializer):
    reason = clean.TextField(max_length=text.NOTE_MAX_LENGTH)
