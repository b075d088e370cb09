from django.contrib import admin

from areas import policy
from areas.models import Area, Level
from areas.scoping import path_q, scope_paths
from households import services
from households.models import ActivityType, ExportLog, Household, Visit, VisitActivity


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    """The catalogue: a province adds an activity here, without a release."""

    list_display = ["code", "name_vi", "name_en", "household_flag", "active", "order"]
    list_editable = ["active", "order"]
    search_fields = ["code", "name_vi", "name_en"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.activity_types_forget()


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    """Staff see only the households of their scope; phones appear masked above the commune."""

    list_display = ["code", "head_name", "area", "masked_phone", "has_dvctt_account", "has_cashless", "has_vneid"]
    list_filter = ["has_smartphone", "has_dvctt_account", "has_cashless", "has_vneid"]
    search_fields = ["code", "head_name", "address"]
    raw_id_fields = ["area"]
    readonly_fields = ["has_dvctt_account", "has_cashless", "has_vneid", "consent_recorded_at"]
    exclude = ["phone"]

    def get_queryset(self, request):
        self._request = request
        return (
            super()
            .get_queryset(request)
            .select_related("area")
            .for_user(request.user, roles=policy.roles("household", "view"))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":  # a hamlet the user may write households in, like the API
            kwargs["queryset"] = Area.objects.filter(level=Level.HAMLET).for_user(
                request.user, roles=policy.roles("household", "add")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The consent rule of the API: unticking consent erases the phone, ticking it records when.
        stored = Household.objects.get(pk=obj.pk) if change else None
        for name, value in services.household_consent({"consent_given": obj.consent_given}, stored).items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)

    @admin.display(description="phone")
    def masked_phone(self, obj):
        if services.household_phone_visible(user=self._request.user, household=obj):
            return obj.phone
        return services.mask_phone(obj.phone)


class VisitActivityInline(admin.TabularInline):
    model = VisitActivity
    extra = 0
    readonly_fields = ["activity_type", "quantity"]
    can_delete = False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["date", "channel", "household", "area", "team", "member", "created_at"]
    list_filter = ["channel"]
    date_hierarchy = "date"
    inlines = [VisitActivityInline]
    readonly_fields = [f.name for f in Visit._meta.fields]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("household", "area", "team", "member")
            .for_user(request.user, roles=policy.roles("household", "view"))
        )

    def has_add_permission(self, request):
        return False  # visits are logged through the service (API, mobile page, imports)


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "area", "rows"]
    list_filter = ["kind"]
    readonly_fields = ["created_at", "user", "kind", "area", "params", "rows"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user", "area")
        if request.user.is_superuser:
            return qs
        return qs.filter(path_q("area__path", scope_paths(request.user, policy.roles("exportlog", "view"))))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the log is the record the law asks for: nobody removes an entry
