from django.contrib import admin

from areas.models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """Staff see only the units of their own scope."""

    list_display = ["name", "kind", "level", "code", "structure", "valid_from", "valid_to"]
    list_filter = ["level", "structure"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]
    raw_id_fields = ["parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)
