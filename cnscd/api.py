"""The API's shared pieces: the base viewset that applies the access policy, and a scoped related field."""

from django.db import transaction
from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.relations import PrimaryKeyRelatedField

from areas import policy


class ScopedViewSetMixin:
    """Applies the access policy (``areas.policy``) to every request of a viewset.

    Each DRF action maps to a policy action: ``list``/``retrieve`` (and every other GET) → ``view``, ``create`` →
    ``add``, ``update``/``partial_update`` → ``change``, ``destroy`` → ``delete``, a custom write action → its own
    name (``dissolve``, ``retire``, ``submit``…) unless ``policy_actions`` maps it. The policy's model is the
    queryset's (``policy_model`` overrides it).

    * Lists and collection actions: a user holding none of the action's roles is refused (403, with
      ``denied_messages[action]``); lists show only the rows of the ``view`` scope.
    * Objects are looked up in the ``view`` scope, so an object outside it is a 404 whatever the action (existence
      never leaks); a write on it then demands the action's roles on the object (403 otherwise).
    * A write request (POST, PUT, PATCH, DELETE) is one transaction, rolled back when it answers 4xx or 5xx: a
      refused request changes nothing, and what it queued with ``transaction.on_commit`` is never sent. Viewsets
      whose every write is one service call in its own transaction may set ``atomic_writes = False`` (the visit
      sync: no savepoint per request).
    """

    atomic_writes = True
    policy_model: str | None = None
    policy_actions: dict[str, str] = {}
    denied_messages: dict[str, str] = {}

    def _policy_model(self) -> str:
        return self.policy_model or policy.model_key(self.queryset.model)

    def policy_action(self) -> str:
        action = self.action or ""
        if action in self.policy_actions:
            return self.policy_actions[action]
        if action in ("list", "retrieve", "metadata") or self.request.method in ("GET", "HEAD", "OPTIONS"):
            return "view"
        return {"create": "add", "update": "change", "partial_update": "change", "destroy": "delete"}.get(
            action, action
        )

    def dispatch(self, request, *args, **kwargs):
        if not self.atomic_writes or request.method in ("GET", "HEAD", "OPTIONS"):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:  # DRF answered an exception raised after a first write
                transaction.set_rollback(True)
        return response

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "detail", False) or self.action is None:
            return
        action = self.policy_action()
        if not policy.permits(request.user, self._policy_model(), action):
            raise PermissionDenied(self.denied_messages.get(action) or None)

    def get_queryset(self) -> QuerySet:
        return policy.restrict(super().get_queryset(), self.request.user, "view")

    def check_object_permissions(self, request, obj) -> None:
        super().check_object_permissions(request, obj)
        action = self.policy_action()
        if action == "view":
            return
        model = type(obj)
        if not policy.restrict(model._default_manager.all(), request.user, action).filter(pk=obj.pk).exists():
            raise PermissionDenied(self.denied_messages.get(action) or None)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedPrimaryKeyRelatedField(PrimaryKeyRelatedField):
    """A related field that accepts only objects inside the requesting user's scope for ``rule``: a policy pair
    ``(model, action)`` — the hamlet of a new household is looked up in the scope of ``("household", "add")`` —
    or, by default, the related model's ``view``.

    An id outside the scope gets the same answer as an id that does not exist, so existence never leaks.
    """

    def __init__(self, *, rule: tuple[str, str] | None = None, **kwargs):
        self.rule = rule
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        if self.rule is None:
            return policy.restrict(queryset, request.user, "view")
        return queryset.for_user(request.user, roles=policy.roles(*self.rule))
