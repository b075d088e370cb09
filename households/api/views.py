from datetime import timedelta

from django.db.models import Count, Prefetch, ProtectedError, QuerySet, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from areas.models import Area
from cnscd.api import ScopedModelViewSet, ScopedViewSetMixin
from cnscd.routers import is_id
from households import exports, services, visits
from households.api.serializers import (
    ActivityTypeSerializer,
    HouseholdSerializer,
    VisitBulkResponseSerializer,
    VisitBulkSerializer,
    VisitSerializer,
    VisitWriteSerializer,
    visit_data_payload,
    visit_shape,
)
from households.filters import HouseholdFilter, VisitFilter
from households.models import ActivityType, Household, Visit, VisitActivity
from reports.periods import MONTH, PeriodError, parse_period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HouseholdViewSet(ScopedModelViewSet):
    """Households of the hamlets in the user's scope. Phones are masked above the commune."""

    queryset = Household.objects.select_related("area")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter
    policy_actions = {"export": "export", "export_xlsx": "export"}
    denied_messages = {
        "view": gettext_lazy("Households hold personal data: your role does not give access to them."),
        "add": gettext_lazy("Only team leaders and commune officers can add households."),
        "export": gettext_lazy("You are not allowed to export households."),
    }

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        household = services.household_create(acting_user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(household).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        household = self.get_object()
        serializer = self.get_serializer(household, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        household = services.household_update(
            acting_user=request.user, household=household, **serializer.validated_data
        )
        return Response(self.get_serializer(household).data)

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered households as CSV (UTF-8 with BOM, opens in Excel). Personal data: logged."""
        queryset, area = self._exported(request)
        content, rows = exports.households_export_csv(
            acting_user=request.user, households=queryset, area=area, params=dict(request.query_params)
        )
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="households.csv"'
        return response

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="export-xlsx")
    def export_xlsx(self, request):
        """The filtered households as .xlsx in the import template's layout (edit and import it again).

        Phones are masked above the commune, formula-like cells neutralised. Personal data: logged.
        """
        queryset, area = self._exported(request)
        content, rows = exports.households_export_xlsx(
            acting_user=request.user, households=queryset, area=area, params=dict(request.query_params)
        )
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="danh-sach-ho-gia-dinh.xlsx"'
        return response

    def _exported(self, request) -> tuple[QuerySet, Area | None]:
        """The filtered households of the user's scope for exporting (not the wider scope they may only read), and
        the area filtered on, under which the export is logged."""
        scope = Household.objects.select_related("area").restrict(request.user, "export")
        area_id = request.query_params.get("area", "")
        area = Area.objects.restrict(request.user, "view").filter(pk=area_id).first() if is_id(area_id) else None
        return self.filter_queryset(scope), area

    def destroy(self, request, *args, **kwargs):
        household = self.get_object()
        try:
            household.delete()
        except ProtectedError:
            return Response(
                {"detail": _("This household has visits and cannot be deleted.")}, status=status.HTTP_409_CONFLICT
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivityTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The activity catalogue (docs/SPEC.md §1); province administrators add entries in the administration."""

    queryset = ActivityType.objects.filter(active=True)
    serializer_class = ActivityTypeSerializer
    lookup_field = "code"
    pagination_class = None


class VisitViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Visits in the user's scope. Team members log them (``client_uuid`` makes every send idempotent)."""

    queryset = Visit.objects.prefetch_related(
        Prefetch("activities", queryset=VisitActivity.objects.select_related("activity_type").order_by("id"))
    )
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    policy_actions = {"bulk": "add"}
    atomic_writes = False  # each write is one service call in its own transaction: no savepoint per sync
    denied_messages = {
        "view": gettext_lazy("Visits hold personal data: your role does not give access to them."),
        "add": gettext_lazy("Only team members can log visits."),
    }

    @extend_schema(
        request=VisitWriteSerializer,
        responses={
            201: VisitSerializer,
            200: VisitSerializer,
            409: inline_serializer("Conflict", {"detail": serializers.CharField()}),
        },
    )
    def create(self, request, *args, **kwargs):
        item, errors = visit_shape(request.data)
        if errors:
            raise ValidationError(errors)
        [resolved] = visits.visits_resolve(acting_user=request.user, items=[item])
        if "errors" in resolved:
            raise ValidationError(resolved["errors"])
        resolved.pop("types")
        try:
            data, created = visits.visit_record(acting_user=request.user, **resolved)
        except visits.VisitConflict:
            return Response(
                {"detail": _("This client_uuid is already used by a different visit.")},
                status=status.HTTP_409_CONFLICT,
            )
        if created:
            return Response(visit_data_payload(data), status=status.HTTP_201_CREATED)
        stored = self.get_queryset().filter(pk=data.id).first()
        if stored is None:  # the same content stored by someone else, outside this user's scope
            return Response(
                {"detail": _("This client_uuid is already used by a different visit.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(VisitSerializer(stored).data, status=status.HTTP_200_OK)

    def destroy(self, request, *args, **kwargs):
        visit = self.get_object()
        visits.visit_delete(acting_user=request.user, visit=visit)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=VisitBulkSerializer, responses={200: VisitBulkResponseSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Up to 500 visits from an offline phone; one result per item, in order."""
        items = request.data.get("visits") if isinstance(request.data, dict) else None
        if not isinstance(items, list):
            raise ValidationError({"visits": [_("Send the visits as a list.")]})
        if len(items) > 500:
            raise ValidationError({"visits": [_("Send at most 500 visits at a time.")]})
        results: list[dict | None] = [None] * len(items)
        parsed: list[tuple[int, dict]] = []
        for index, item in enumerate(items):
            valid, errors = visit_shape(item)
            if errors:
                results[index] = {"index": index, "status": "invalid", "id": None, "errors": errors}
            else:
                parsed.append((index, valid))
        if parsed:
            stored = visits.visits_record_bulk(acting_user=request.user, items=[item for _i, item in parsed])
            for (index, _item), result in zip(parsed, stored, strict=True):
                result["index"] = index
                if result["status"] != "invalid":
                    result.pop("errors", None)
                results[index] = result
        return Response({"results": results}, status=status.HTTP_200_OK)

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM (default: this month)")],
        responses={
            200: inline_serializer(
                "TeamMonth",
                {
                    "month": serializers.CharField(),
                    "team": serializers.IntegerField(allow_null=True),
                    "team_name": serializers.CharField(),
                    "visits": serializers.IntegerField(),
                    "my_visits": serializers.IntegerField(),
                    "households": serializers.IntegerField(),
                    "activities": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    @action(detail=False, methods=["get"], url_path="team-month")
    def team_month(self, request):
        """The logged-in member's team: visits, households and people helped per activity this month."""
        today = timezone.localdate()
        month = request.query_params.get("month") or today.strftime("%Y-%m")
        try:
            period = parse_period(month)
        except PeriodError as error:
            raise ValidationError({"month": [str(error)]}) from error
        if period.kind != MONTH:
            raise ValidationError({"month": [_("Give the month as YYYY-MM.")]})
        start, end = period.start, period.end + timedelta(days=1)
        members = visits.own_members(request.user)
        empty = {"month": month, "team": None, "team_name": "", "visits": 0, "my_visits": 0, "households": 0}
        if not members:
            return Response({**empty, "activities": []})
        team = members[0].team
        team_visits = self.get_queryset().filter(team=team, date__gte=start, date__lt=end)
        totals = team_visits.aggregate(n=Count("id"), households=Count("household", distinct=True))
        mine = team_visits.filter(member__in=members).count()
        per_type = (
            VisitActivity.objects.filter(visit__in=team_visits.values("id"))
            .values("activity_type__code")
            .annotate(quantity=Sum("quantity"))
            .order_by("activity_type__code")
        )
        return Response(
            {
                "month": month,
                "team": team.pk,
                "team_name": team.name,
                "visits": totals["n"],
                "my_visits": mine,
                "households": totals["households"],
                "activities": [{"type": r["activity_type__code"], "quantity": r["quantity"]} for r in per_type],
            }
        )
