from django.contrib import admin

from teams.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams (the admin is superusers only: cnscd.admin)."""

    list_display = ["name", "area", "status", "established_on", "decision_number"]
    list_filter = ["status"]
    search_fields = ["name", "decision_number"]
    raw_id_fields = ["area"]
    list_select_related = ["area"]
