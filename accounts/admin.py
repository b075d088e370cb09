from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import RoleAssignment, User
from areas.scoping import path_q, scope_paths


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["area"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff see only users with a role inside their own scope (superusers see all)."""

    inlines = [RoleAssignmentInline]
    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Portal"), {"fields": ["full_name"]}),)

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "area"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user", "area")
        if request.user.is_superuser:
            return qs
        return qs.filter(path_q("area__path", scope_paths(request.user)))
