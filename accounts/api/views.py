from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import logout
from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import UserSerializer
from accounts.lockout import lockout_response
from accounts.models import User
from areas import policy


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Users with a role inside the requester's scope (``user.view`` of the access policy), and the requester.

    Province admins manage the users of their province below province admin; commune officers the team logins
    (team leaders, team members, viewers) of their commune, never another officer nor a user who also holds a
    role elsewhere (``accounts.services.user_manage_check``); everyone changes their own name, e-mail and
    password (``current_password`` needed). A user outside the scope is a 404, a refused change inside it a 403.

    Usernames are unique whatever their case, Unicode form or look-alike letters (Cyrillic "і" for "i"…); a taken
    one is refused with the same words wherever its holder is. A new ``password`` or ``is_active: false`` deletes
    the user's API tokens and ends their sessions. Users are deactivated, never deleted, so their history stays
    readable."""

    serializer_class = UserSerializer
    filterset_fields = ["is_active", "username"]

    def get_queryset(self):
        users = policy.restrict(User.objects.all(), self.request.user, "view")
        return users.prefetch_related("role_assignments").order_by("username")

    def _require_manager(self, action: str) -> None:
        if not policy.permits(self.request.user, "user", action):
            raise PermissionDenied(_("Your role does not allow managing users."))

    def create(self, request, *args, **kwargs):
        self._require_manager("add")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["assignments"] = data.pop("role_assignments", [])
        data.pop("current_password", None)
        user = services.user_create(acting_user=request.user, **data)
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        user = self.get_object()  # a user outside the scope is a 404, whatever the requester's role
        if user.pk != request.user.pk:
            self._require_manager("change")
        serializer = self.get_serializer(user, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "role_assignments" in data:
            data["assignments"] = data.pop("role_assignments")
        if "username" in data and data["username"] == user.username:
            data.pop("username")
        user = services.user_update(acting_user=request.user, user=user, **data)
        return Response(self.get_serializer(User.objects.get(pk=user.pk)).data)


def issue_token(user: User) -> str:
    """A new API token for ``user``, replacing the one they had (DRF's token is one per user), in one statement,
    so two logins at the same moment cannot both insert."""
    key = Token.generate_key()
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, now())
               ON CONFLICT (user_id) DO UPDATE SET key = EXCLUDED.key, created = EXCLUDED.created""",
            [key, user.pk],
        )
    return key


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token"}``: a new token at every login (the user's previous token
    stops working), valid for ``API_TOKEN_TTL`` (30 days unless configured) from that login; an expired token
    answers 401 "log in again". A password change, deactivation and ``POST /api/v1/auth/logout/`` delete it.
    Locked for 15 minutes after 5 failures per user and IP."""

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
        return Response({"token": issue_token(serializer.validated_data["user"])})


class LogoutView(APIView):
    """``POST`` → 204: the requester's API token is deleted (every request with it is then a 401); a request
    authenticated by the portal's session also ends that session."""

    throttle_classes = ()

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Logged out: the token is deleted.")})
    def post(self, request, *args, **kwargs):
        services.logout_tokens(acting_user=request.user)
        if request.auth is None:  # authenticated by the session
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
