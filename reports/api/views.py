from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from areas import policy
from areas.models import Area
from cnscd import serializers as clean
from cnscd import text
from cnscd.api import ScopedViewSetMixin
from cnscd.pagination import Pagination
from reports import selectors, services
from reports.api.serializers import (
    IndicatorSerializer,
    KpiSerializer,
    ReportSerializer,
    ReturnSerializer,
    TargetSerializer,
)
from reports.filters import TargetFilter
from reports.models import Indicator, Report, ReportStatus, Target
from reports.periods import PeriodError, parse_period


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """The indicator catalogue (read-only): structural indicators and one per activity."""

    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    lookup_field = "code"
    pagination_class = None


class TargetViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Targets per indicator, area, year and optionally month. Province administrators write them.

    Each target says in ``warnings`` when the targets of its child areas do not add up to it.
    """

    queryset = Target.objects.select_related("indicator", "area")
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    denied_messages = {"add": gettext_lazy("Only province administrators can set targets.")}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("warnings", {})
        return context

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        items = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), "warnings": selectors.target_warnings(items)}
        data = TargetSerializer(items, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _respond(self, target, code):
        context = {**self.get_serializer_context(), "warnings": selectors.target_warnings([target])}
        return Response(TargetSerializer(target, context=context).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target, created = services.target_set(acting_user=request.user, **serializer.validated_data)
        return self._respond(target, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def update(self, request, *args, **kwargs):
        target = self.get_object()
        serializer = self.get_serializer(target, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        target = services.target_update(acting_user=request.user, target=target, **serializer.validated_data)
        return self._respond(target, status.HTTP_200_OK)


class KpiView(APIView):
    """KPIs of an area for a period: one row per indicator, or per child area and indicator with breakdown."""

    pagination_class = Pagination  # the rows come as a page ({count, next, previous, results}), as the schema says

    @extend_schema(
        parameters=[
            OpenApiParameter("area", int, description="An area in your scope (default: your widest one)"),
            OpenApiParameter(
                "period", str, required=True, description="2026, 2026-Q4, 2026-10 or 2026-10-01..2026-10-10"
            ),
            OpenApiParameter("indicator", str, description="One indicator code (default: all)"),
            OpenApiParameter("breakdown", str, enum=["children"], description="One row per child area"),
        ],
        responses={200: KpiSerializer(many=True)},
    )
    def get(self, request):
        if not policy.permits(request.user, "kpi", "view"):
            raise PermissionDenied(_("Your login has no role yet, so it shows no data."))
        params = request.query_params
        try:
            period = parse_period(params.get("period", ""))
        except PeriodError as error:
            raise ValidationError({"period": [str(error)]}) from error
        area_id = params.get("area")
        if area_id in (None, ""):
            area = selectors.default_area(request.user)
            if area is None:
                raise ValidationError({"area": [_("Choose an area.")]})
        elif not (area_id.isascii() and area_id.isdigit()):
            raise ValidationError({"area": [_("Give the area's id, a whole number.")]})
        else:
            try:
                area = Area.objects.restrict(request.user, "view").get(pk=int(area_id))
            except Area.DoesNotExist as error:
                raise NotFound() from error
        indicators = selectors.indicator_list()
        if params.get("indicator"):
            indicators = [i for i in indicators if i.code == params["indicator"]]
            if not indicators:
                raise ValidationError({"indicator": [_("Unknown indicator.")]})
        breakdown = params.get("breakdown")
        if breakdown not in (None, "", "children"):
            raise ValidationError({"breakdown": [_("The only breakdown is 'children'.")]})
        rows = selectors.kpi_rows(area=area, period=period, indicators=indicators, breakdown=breakdown == "children")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(KpiSerializer(page, many=True).data)


class KpiRefreshView(APIView):
    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "KpiRefresh", {"task_id": serializers.CharField(), "status": serializers.CharField()}
            ),
            503: inline_serializer("KpiRefreshUnavailable", {"detail": serializers.CharField()}),
        },
    )
    def post(self, request):
        """Queue a rollup (``?full=true`` for a full one); 202 with the task id."""
        if not policy.permits(request.user, "kpi", "refresh"):
            raise PermissionDenied(_("Only officers can refresh the KPIs."))
        from reports.tasks import rollup_full_task, rollup_incremental_task

        task = rollup_full_task if request.query_params.get("full") in ("1", "true") else rollup_incremental_task
        try:
            result = task.delay()
        except Exception:  # noqa: BLE001 — the broker is down: say so, the nightly run catches up
            return Response(
                {"detail": _("The background workers are unavailable; the KPIs will catch up on the next run.")},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"task_id": result.id, "status": "queued"}, status=status.HTTP_202_ACCEPTED)


class ReasonShape(serializers.Serializer):
    reason = clean.TextField(max_length=text.NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")


class ReportViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):  # fmt: skip
    """Monthly reports: queue one (202), then submit, approve or return it. Approved reports never change."""

    queryset = Report.objects.select_related("area")
    serializer_class = ReportSerializer
    policy_actions = {"return_": "return"}
    denied_messages = {
        "submit": gettext_lazy("Only commune officers and above can submit reports."),
        "approve": gettext_lazy("Only province administrators can approve reports."),
        "return": gettext_lazy("Only province administrators can return reports."),
    }
    filterset_fields = ["area", "period", "status"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_request(acting_user=request.user, **serializer.validated_data)
        report.refresh_from_db()
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    def _transition(self, service, **kwargs):
        report = self.get_object()
        report = service(acting_user=self.request.user, report=report, **kwargs)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(services.report_submit)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(services.report_approve)

    @extend_schema(request=ReturnSerializer, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        shape = ReasonShape(data=request.data if isinstance(request.data, dict) else {})
        shape.is_valid(raise_exception=True)  # a reason that is not text is a 400; the service says what it needs
        return self._transition(services.report_return, reason=shape.validated_data["reason"])

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        report = self.get_object()
        if not report.file or report.status in (ReportStatus.PENDING, ReportStatus.FAILED):
            raise Http404
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=f"bao-cao-cnscd-{report.area.code or report.area.pk}-{report.period}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
