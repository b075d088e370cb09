from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the portal's site (superusers only) as ``admin.site``."""

    default_site = "cnscd.admin.PortalAdminSite"
