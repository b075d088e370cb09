from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from cnscd.api import ScopedModelViewSet
from teams import services
from teams.api.serializers import TeamDissolveSerializer, TeamSerializer
from teams.filters import TeamFilter
from teams.models import Team


class TeamViewSet(ScopedModelViewSet):
    """Teams in the user's scope, with active member count, leader and roster warnings.

    Commune officers and province administrators found, edit and dissolve teams (``POST …/dissolve/``).
    """

    queryset = Team.objects.select_related("area").with_roster()
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    denied_messages = {"add": gettext_lazy("Only commune officers and province administrators can found teams.")}

    def _fresh(self, team: Team) -> dict:
        return TeamSerializer(self.get_queryset().get(pk=team.pk), context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_found(acting_user=request.user, **serializer.validated_data)
        return Response(self._fresh(team), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        team = self.get_object()
        serializer = self.get_serializer(team, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        team = services.team_update(acting_user=request.user, team=team, **serializer.validated_data)
        return Response(self._fresh(team))

    def destroy(self, request, *args, **kwargs):
        team = self.get_object()
        try:
            team.delete()
        except ProtectedError:
            return Response(
                {"detail": _("This team has members or visits; dissolve it instead of deleting it.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], serializer_class=TeamDissolveSerializer)
    def dissolve(self, request, pk=None):
        team = self.get_object()
        serializer = TeamDissolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_dissolve(acting_user=request.user, team=team, **serializer.validated_data)
        return Response(self._fresh(team))
