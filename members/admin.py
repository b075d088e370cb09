from django.contrib import admin

from members.models import Member, TrainingSession


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Staff see only the members of their own scope. Writes with rules go through the pages and the API."""

    list_display = ["full_name", "team", "role", "organization", "phone", "citizen_id_last4", "left_on"]
    list_filter = ["role", "organization"]
    search_fields = ["full_name", "phone"]
    raw_id_fields = ["team", "user"]
    readonly_fields = ["citizen_id_last4"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user).select_related("team")


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["topic", "held_on", "organizer", "area"]
    raw_id_fields = ["area", "attendees"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)
