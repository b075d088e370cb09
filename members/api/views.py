from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from cnscd.api import ScopedModelViewSet
from members import services
from members.api.serializers import MemberRetireSerializer, MemberSerializer, TrainingSessionSerializer
from members.filters import MemberFilter, TrainingSessionFilter
from members.models import Member, TrainingSession

ROSTER_DENIED = gettext_lazy("Only commune officers and team leaders can change rosters.")


class MemberViewSet(ScopedModelViewSet):
    """Team members in the user's scope. Commune officers manage their commune's rosters, team leaders their own
    team's; ``POST …/retire/`` with ``left_on`` records that a member left."""

    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    denied_messages = {"add": ROSTER_DENIED}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_create(acting_user=request.user, **serializer.validated_data)
        return Response(
            MemberSerializer(member, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        member = self.get_object()
        serializer = self.get_serializer(member, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        member = services.member_update(acting_user=request.user, member=member, **serializer.validated_data)
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data)

    def destroy(self, request, *args, **kwargs):
        member = self.get_object()
        try:
            member.delete()
        except ProtectedError:
            return Response(
                {"detail": _("This member has recorded visits; retire them instead of deleting them.")},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], serializer_class=MemberRetireSerializer)
    def retire(self, request, pk=None):
        member = self.get_object()
        serializer = MemberRetireSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_retire(acting_user=request.user, member=member, **serializer.validated_data)
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data)


class TrainingSessionViewSet(ScopedModelViewSet):
    """Trainings held for members (date, topic, organiser, attendees), in the user's scope."""

    queryset = TrainingSession.objects.select_related("area").prefetch_related("attendees")
    serializer_class = TrainingSessionSerializer
    filterset_class = TrainingSessionFilter
    denied_messages = {"add": ROSTER_DENIED}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        attendees = data.pop("attendees", [])
        serializer.instance = services.training_session_save(
            acting_user=self.request.user, session=TrainingSession(**data), attendees=attendees
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        attendees = data.pop("attendees", None)
        session = serializer.instance
        for field, value in data.items():
            setattr(session, field, value)
        serializer.instance = services.training_session_save(
            acting_user=self.request.user, session=session, attendees=attendees
        )
