from django.contrib import admin

from imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: a job is what happened to an upload (the admin is superusers only: cnscd.admin)."""

    list_display = ["original_name", "kind", "status", "rows", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
