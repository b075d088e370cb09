from django.contrib import admin

from areas.models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """The units of both structures (the admin is superusers only: cnscd.admin)."""

    list_display = ["name", "kind", "level", "code", "structure", "valid_from", "valid_to"]
    list_filter = ["level", "structure"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]
    raw_id_fields = ["parent"]
