from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalConfig(AppConfig):
    """The project package as an app: its system checks."""

    name = "cnscd"
    verbose_name = "CNSCĐ Portal"

    def ready(self) -> None:
        from django.core import checks

        from cnscd import audit

        checks.register(audit.check_versions)


class PortalAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the portal's site (superusers only) as ``admin.site``."""

    default_site = "cnscd.admin.PortalAdminSite"
