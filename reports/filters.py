import django_filters
from django.utils.translation import gettext_lazy as _

from areas.models import Area
from reports.models import Target


class TargetFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code")
    area = django_filters.NumberFilter(method="filter_area", label=_("Area (the whole subtree)"))

    class Meta:
        model = Target
        fields = ["indicator", "area", "year", "month"]

    def filter_area(self, queryset, name, value):
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        return queryset.filter(area__path__startswith=path) if path else queryset.none()
