from django.contrib import admin

from teams.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Staff see only the teams of their own scope."""

    list_display = ["name", "area", "status", "established_on", "decision_number"]
    list_filter = ["status"]
    search_fields = ["name", "decision_number"]
    raw_id_fields = ["area"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)
