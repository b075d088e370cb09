from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from areas.models import Area, Level
from cnscd.phones import mask_phone
from households import services, visits
from households.models import ActivityType, ExportLog, Household, Visit, VisitActivity
from reports.services import indicators_sync


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    """The catalogue: a province adds an activity here, without a release."""

    list_display = ["code", "name_vi", "name_en", "household_flag", "active", "order"]
    list_editable = ["active", "order"]
    search_fields = ["code", "name_vi", "name_en"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        visits.activity_types_forget()
        indicators_sync()  # its indicator, before anyone reads the catalogue


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    """Households (the admin is superusers only: cnscd.admin). Phones are masked in the list and left out of the
    form: the admin is for putting data right, and a full phone is read where the policy and the law apply (the
    pages and the API, to the household's commune and below)."""

    list_display = ["code", "head_name", "area", "masked_phone", "has_dvctt_account", "has_cashless", "has_vneid"]
    list_filter = ["has_smartphone", "has_dvctt_account", "has_cashless", "has_vneid"]
    search_fields = ["code", "head_name", "address"]
    raw_id_fields = ["area"]
    readonly_fields = ["has_dvctt_account", "has_cashless", "has_vneid", "consent_recorded_at"]
    exclude = ["phone"]
    list_select_related = ["area"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":  # households live in hamlets, as in the API
            kwargs["queryset"] = Area.objects.filter(level=Level.HAMLET)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The consent rule of the API: unticking consent erases the phone, ticking it records when.
        stored = Household.objects.get(pk=obj.pk) if change else None
        for name, value in services.household_consent({"consent_given": obj.consent_given}, stored).items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)
        if stored is not None and stored.consent_given and not obj.consent_given:
            services.household_consent_withdrawn(acting_user=request.user, household_ids=[obj.pk])

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Household) -> str:
        return mask_phone(obj.phone)


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
    list_select_related = ["household", "area", "team", "member"]

    def has_add_permission(self, request):
        return False  # visits are logged through the service (API, mobile page, imports)


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "area", "rows"]
    list_filter = ["kind"]
    readonly_fields = ["created_at", "user", "kind", "area", "params", "rows"]
    list_select_related = ["user", "area"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the log is the record the law asks for: nobody removes an entry
