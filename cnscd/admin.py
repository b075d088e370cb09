"""The Django admin of the portal, reserved to active superusers.

The admin has no notion of the portal's scopes (``areas.policy``): a ModelAdmin sees whole tables, its raw-id
fields take any id, its actions run on any row. So instead of scoping every ModelAdmin, the one site refuses
everybody but active superusers, whatever their staff flag, roles or Django permissions: every admin URL
(index, app indexes, changelists, add, change, delete, history, actions, autocomplete, a user's password change,
the pghistory event browser, tokens, axes logs) is wrapped in ``AdminSite.admin_view``, which asks
``has_permission`` and otherwise redirects to the admin login; that login does not let anyone else in either.
Province and commune staff work through the portal's pages and API, where the policy applies.

Installed as the default site (``admin.site``) by ``cnscd.apps.PortalAdminConfig`` in ``INSTALLED_APPS``.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError


def is_admin(user) -> bool:
    """Whether ``user`` may use the Django admin: an active superuser."""
    return bool(user.is_active and user.is_superuser)


class SuperuserAuthenticationForm(AdminAuthenticationForm):
    """The admin login: only superusers; anyone else gets the message of a wrong password (nothing to learn)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not is_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class PortalAdminSite(admin.AdminSite):
    site_header = "CNSCĐ Portal"
    site_title = "CNSCĐ Portal"
    login_form = SuperuserAuthenticationForm

    def has_permission(self, request) -> bool:
        return is_admin(request.user)
