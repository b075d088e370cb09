import django_filters
from django.db.models import Q

from areas.models import Area
from cnscd.filters import CharFilter
from teams.models import Team, TeamStatus


class AreaSubtreeFilter(django_filters.NumberFilter):
    """``?area=<id>``: rows whose area is that unit or lies under it (one indexed LIKE on the stored path)."""

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


class TeamFilter(django_filters.FilterSet):
    area = AreaSubtreeFilter(label="Area (matches the whole subtree)")
    status = django_filters.ChoiceFilter(choices=TeamStatus.choices)
    q = CharFilter(method="filter_q", label="Search in name or decision number")

    class Meta:
        model = Team
        fields = ["area", "status"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(decision_number__icontains=value))
