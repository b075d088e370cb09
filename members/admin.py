from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cnscd.phones import mask_phone
from members.models import Member, TrainingSession


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Members (the admin is superusers only: cnscd.admin). Writes with rules go through the pages and the API.

    The list shows phones masked, as households' are: the phone is in the member's own form."""

    list_display = ["full_name", "team", "role", "organization", "masked_phone", "citizen_id_last4", "left_on"]
    list_filter = ["role", "organization"]
    search_fields = ["full_name", "phone"]
    raw_id_fields = ["team", "user"]
    readonly_fields = ["citizen_id_last4"]
    list_select_related = ["team"]

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Member) -> str:
        return mask_phone(obj.phone)


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["topic", "held_on", "organizer", "area"]
    raw_id_fields = ["area", "attendees"]
    list_select_related = ["area"]
