from axes.exceptions import AxesBackendPermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts import services
from accounts.api.serializers import UserSerializer
from accounts.lockout import lockout_response
from accounts.models import User
from areas import scoping


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Users with a role inside the requester's scope. Province admins (and commune officers, for their
    commune's team logins) create and change users; nobody grants a role above or outside their own.
    Users are deactivated (``is_active: false``), never deleted, so their history stays readable."""

    serializer_class = UserSerializer
    filterset_fields = ["is_active", "username"]

    def get_queryset(self):
        return User.objects.for_user(self.request.user).prefetch_related("role_assignments").order_by("username")

    def _require_manager(self) -> None:
        if not scoping.holds_role(self.request.user, scoping.USER_MANAGERS):
            raise PermissionDenied(_("Your role does not allow managing users."))

    def create(self, request, *args, **kwargs):
        self._require_manager()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["assignments"] = data.pop("role_assignments", [])
        user = services.user_create(acting_user=request.user, **data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        user = self.get_object()  # a user outside the scope is a 404, whatever the requester's role
        self._require_manager()
        serializer = self.get_serializer(user, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "role_assignments" in data:
            data["assignments"] = data.pop("role_assignments")
        if "username" in data and data["username"] == user.username:
            data.pop("username")
        user = services.user_update(acting_user=request.user, user=user, **data)
        return Response(self.get_serializer(User.objects.get(pk=user.pk)).data)


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token"}``. Locked for 15 minutes after 5 failures per user and IP."""

    throttle_classes = ()

    @extend_schema(
        request=AuthTokenSerializer, responses={200: inline_serializer("Token", {"token": serializers.CharField()})}
    )
    def post(self, request, *args, **kwargs):
        # Authenticate against the underlying HttpRequest so that django-axes sees and marks the real request.
        serializer = AuthTokenSerializer(data=request.data, context={"request": request._request})
        try:
            serializer.is_valid(raise_exception=True)
        except AxesBackendPermissionDenied:
            return lockout_response(request._request)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
