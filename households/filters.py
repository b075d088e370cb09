import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from areas.filters import AreaSubtreeFilter
from cnscd.filters import CharFilter
from households.models import Category, Channel, Household, Visit


class HouseholdFilter(django_filters.FilterSet):
    area = AreaSubtreeFilter(label=_("Area (the whole subtree)"))
    code = CharFilter()
    q = CharFilter(method="filter_q", label=_("Search in code, name or address"))
    category = django_filters.ChoiceFilter(choices=Category.choices, method="filter_category")
    lacks = django_filters.ChoiceFilter(
        choices=[
            ("has_dvctt_account", "has_dvctt_account"),
            ("has_cashless", "has_cashless"),
            ("has_vneid", "has_vneid"),
        ],
        method="filter_lacks",
        label=_("Still lacks"),
    )

    class Meta:
        model = Household
        fields = ["area", "code", "has_smartphone", "consent_given"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(head_name__icontains=value) | Q(address__icontains=value))

    def filter_category(self, queryset, name, value):
        return queryset.filter(categories__contains=[value])

    def filter_lacks(self, queryset, name, value):
        return queryset.filter(**{value: False})


class VisitFilter(django_filters.FilterSet):
    area = AreaSubtreeFilter(label=_("Area (the whole subtree)"))
    household = django_filters.NumberFilter(field_name="household_id")
    team = django_filters.NumberFilter(field_name="team_id")
    member = django_filters.NumberFilter(field_name="member_id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Only visits I logged"))

    class Meta:
        model = Visit
        fields = ["household", "team", "member", "channel"]

    def filter_mine(self, queryset, name, value):
        user = self.request.user if self.request else None
        mine = Q(created_by=user) | Q(member__user=user)
        return queryset.filter(mine) if value else queryset.exclude(mine)
