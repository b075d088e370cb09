import django_filters
from django.db.models import Q
from django.utils import timezone

from areas.models import Area, Level
from cnscd.filters import CharFilter


class AreaSubtreeFilter(django_filters.NumberFilter):
    """``?area=<id>``: rows whose area is that unit or lies under it (one indexed LIKE on the stored path).

    The one subtree filter of the API's filtersets (teams, members, trainings, households, visits): an unknown id
    matches nothing. ``path_field`` names the path to follow (``team__area__path`` for members)."""

    def __init__(self, *args, path_field: str = "area__path", **kwargs):
        self.path_field = path_field
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return qs.none()
        return qs.filter(**{f"{self.path_field}__startswith": path})


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")
    code = CharFilter()
    q = CharFilter(method="filter_q", label="Search in name or code")
    current = django_filters.BooleanFilter(method="filter_current", label="Valid today")
    valid_on = django_filters.DateFilter(method="filter_valid_on", label="Valid on this date")

    class Meta:
        model = Area
        fields = ["level", "parent", "code"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code=value))

    def filter_current(self, queryset, name, value):
        today = timezone.localdate()
        valid = queryset.valid_on(today)
        return valid if value else queryset.exclude(pk__in=valid.values("pk"))

    def filter_valid_on(self, queryset, name, value):
        return queryset.valid_on(value)
