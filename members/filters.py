import django_filters
from django.db.models import Q

from areas.filters import AreaSubtreeFilter
from cnscd.filters import CharFilter
from members.models import Member, MemberRole, Organization, TrainingSession


class MemberFilter(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    area = AreaSubtreeFilter(path_field="team__area__path", label="Area of the team (matches the whole subtree)")
    role = django_filters.ChoiceFilter(choices=MemberRole.choices)
    organization = django_filters.ChoiceFilter(choices=Organization.choices)
    is_active = django_filters.BooleanFilter(field_name="left_on", lookup_expr="isnull", label="Still in the team")
    trained = django_filters.BooleanFilter(field_name="trained_on", lookup_expr="isnull", exclude=True)
    q = CharFilter(method="filter_q", label="Search in name or phone")

    class Meta:
        model = Member
        fields = ["team", "area", "role", "organization", "is_active", "trained"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(full_name__icontains=value) | Q(phone__contains=value))


class TrainingSessionFilter(django_filters.FilterSet):
    area = AreaSubtreeFilter()
    member = django_filters.NumberFilter(field_name="attendees")

    class Meta:
        model = TrainingSession
        fields = ["area", "member"]
