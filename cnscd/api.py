"""The API's shared pieces: the scoped base viewset (one scoping rule, applied once)."""

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.relations import PrimaryKeyRelatedField

from areas import scoping


class ScopedViewSetMixin:
    """Restricts every queryset to the requesting user's scope.

    ``queryset`` must be a ``ScopedQuerySet`` (areas.scoping). Reads see the user's scope for ``read_roles``
    (default: every role); a user holding none of them is refused lists and creations (403, ``read_denied``)
    and finds no object (404, as for any object outside a scope: existence never leaks); writes
    (update, partial_update, destroy and custom write actions) look the object up in the read scope — so an
    object outside it is a 404 — and then demand the write rights of ``write_roles`` on it, else 403.
    """

    read_roles: tuple[str, ...] | None = None
    read_denied: str = ""
    write_roles: tuple[str, ...] = ()
    read_only_actions = ("list", "retrieve", "metadata")

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        detail = getattr(self, "detail", False)
        if self.read_roles is not None and not detail and not scoping.holds_role(request.user, self.read_roles):
            raise PermissionDenied(self.read_denied or None)

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().for_user(self.request.user, roles=self.read_roles)

    def check_object_permissions(self, request, obj) -> None:
        super().check_object_permissions(request, obj)
        if self.action not in self.read_only_actions and request.method not in ("GET", "HEAD", "OPTIONS"):
            model = type(obj)
            if (
                not model._default_manager.all()
                .for_user(request.user, roles=self.write_roles)
                .filter(pk=obj.pk)
                .exists()
            ):
                raise PermissionDenied()


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedPrimaryKeyRelatedField(PrimaryKeyRelatedField):
    """A related field that accepts only objects inside the requesting user's scope (for ``roles``).

    An id outside the scope gets the same answer as an id that does not exist, so existence never leaks.
    """

    def __init__(self, *, roles=None, **kwargs):
        self.roles = roles
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.for_user(request.user, roles=self.roles)
