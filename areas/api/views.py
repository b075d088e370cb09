from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from areas import services
from areas.api.serializers import AreaSerializer, HamletSerializer
from areas.filters import AreaFilter
from areas.models import Area, Level
from cnscd.api import ScopedModelViewSet


@extend_schema_view(
    create=extend_schema(request=HamletSerializer, responses={201: AreaSerializer}),
    update=extend_schema(request=HamletSerializer, responses={200: AreaSerializer}),
    partial_update=extend_schema(request=HamletSerializer, responses={200: AreaSerializer}),
)
class AreaViewSet(ScopedModelViewSet):
    """Administrative units in the user's scope. Commune officers and above create hamlets."""

    queryset = Area.objects.all()
    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    denied_messages = {"add": gettext_lazy("Only commune officers and province administrators can create hamlets.")}

    def get_serializer_class(self):
        return HamletSerializer if self.action in ("create", "update", "partial_update") else AreaSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hamlet = services.hamlet_create(acting_user=request.user, **serializer.validated_data)
        return Response(AreaSerializer(hamlet).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        hamlet = self.get_object()
        if hamlet.level != Level.HAMLET:
            raise PermissionDenied(_("Only hamlets can be edited here."))
        serializer = self.get_serializer(hamlet, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("parent", hamlet.parent) != hamlet.parent:
            raise PermissionDenied(_("A hamlet cannot be moved to another commune here."))
        data.pop("parent", None)
        hamlet = services.hamlet_update(hamlet=hamlet, acting_user=request.user, **data)
        return Response(AreaSerializer(hamlet).data)

    def destroy(self, request, *args, **kwargs):
        hamlet = self.get_object()
        if hamlet.level != Level.HAMLET:
            raise PermissionDenied(_("Only hamlets can be deleted here."))
        try:
            hamlet.delete()
        except ProtectedError:
            return Response(
                {"detail": _("This hamlet still has teams, households or other records and cannot be deleted.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
