import django_filters
from django.db.models import Q

from areas.filters import AreaSubtreeFilter
from cnscd.filters import CharFilter
from teams.models import Team, TeamStatus


class TeamFilter(django_filters.FilterSet):
    area = AreaSubtreeFilter(label="Area (matches the whole subtree)")
    status = django_filters.ChoiceFilter(choices=TeamStatus.choices)
    q = CharFilter(method="filter_q", label="Search in name or decision number")

    class Meta:
        model = Team
        fields = ["area", "status"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(decision_number__icontains=value))
