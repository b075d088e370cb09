from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["area"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users and their roles (the admin is superusers only: cnscd.admin)."""

    inlines = [RoleAssignmentInline]
    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Portal"), {"fields": ["full_name"]}),)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "area"]

    list_select_related = ["user", "area"]
