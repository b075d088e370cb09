"""Households of a hamlet, the activity catalogue, and visits (a household's history of help received)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from areas import scoping
from areas.scoping import ScopedQuerySet
from cnscd import text


class Category(models.TextChoices):
    POOR = "poor", _("Poor")
    NEAR_POOR = "near_poor", _("Near-poor")
    POLICY = "policy", _("Policy household")
    ETHNIC_MINORITY = "ethnic_minority", _("Ethnic minority")
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")


class HouseholdFlag(models.TextChoices):
    """The derived digital status fields of a household an activity can set."""

    DVCTT_ACCOUNT = "has_dvctt_account", _("Has an online public-service account")
    CASHLESS = "has_cashless", _("Uses cashless payment")
    VNEID = "has_vneid", _("Has a level-2 VNeID account")


class HouseholdQuerySet(ScopedQuerySet):
    area_path_field = "area__path"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Household(models.Model):
    """A household of a hamlet. Its phone is kept only with the household's recorded consent.

    ``has_dvctt_account``, ``has_cashless`` and ``has_vneid`` follow from its visits (services keep them in
    step in the transaction that records a visit); they are never typed in.
    """

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("hamlet"), on_delete=models.PROTECT, related_name="households"
    )
    code = text.CharField(_("household code"), max_length=30)
    head_name = text.CharField(_("head of household"), max_length=150)
    address = text.CharField(_("address"), max_length=255, blank=True)
    size = models.PositiveSmallIntegerField(_("number of people"), default=1)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    consent_given = models.BooleanField(_("consented to keeping the phone number"), default=False)
    consent_recorded_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True, editable=False)
    categories = ArrayField(
        models.CharField(max_length=20, choices=Category.choices),
        verbose_name=_("categories"),
        default=list,
        blank=True,
    )
    has_smartphone = models.BooleanField(_("has a smartphone"), default=False)
    has_dvctt_account = models.BooleanField(_("has an online public-service account"), default=False, editable=False)
    has_cashless = models.BooleanField(_("uses cashless payment"), default=False, editable=False)
    has_vneid = models.BooleanField(_("has a level-2 VNeID account"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["area", "code"]
        constraints = [
            # Codes are compared as stored (case matters: they are copied from the commune's register), and the
            # stored form is the clean one (the ``_clean`` checks).
            models.UniqueConstraint(fields=["area", "code"], name="household_code_unique_per_hamlet"),
            *text.constraints("household", "code", "head_name", "address"),
            models.CheckConstraint(condition=Q(phone="") | Q(consent_given=True), name="household_phone_needs_consent"),
            models.CheckConstraint(condition=Q(size__gte=1), name="household_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.head_name}"

    @property
    def lacks(self) -> list[str]:
        """What the household still lacks, for the door-to-door checklist."""
        missing = []
        for flag in HouseholdFlag:
            if not getattr(self, flag.value):
                missing.append(flag.label)
        return missing


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ActivityType(models.Model):
    """One entry of the activity catalogue (docs/SPEC.md §1). Data, so a province can add one without a release."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = text.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = text.CharField(_("name (English)"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    household_flag = models.CharField(
        _("sets on the household"),
        max_length=20,
        choices=HouseholdFlag.choices,
        blank=True,
        help_text=_("The household's digital status this activity proves, if any."),
    )
    requires_note = models.BooleanField(
        _("needs a note"),
        default=False,
        help_text=_("A visit with this activity must say in its note what help was given (e.g. 'other')."),
    )

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["order", "code"]
        constraints = text.constraints("activitytype", "name_vi", "name_en")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class Channel(models.TextChoices):
    DOOR_TO_DOOR = "door_to_door", _("Door to door")
    ONE_STOP_DESK = "one_stop_desk", _("Commune one-stop desk")
    COMMUNITY_SESSION = "community_session", _("Community session")
    ONLINE = "online", _("Online")


class VisitQuerySet(ScopedQuerySet):
    area_path_field = "area__path"

    def for_user(self, user, roles=None) -> VisitQuerySet:
        """Visits under the user's scope for ``roles``, and the user's own visits while they hold one of the roles:
        a member helping at the commune's one-stop desk logs visits on the commune, above their hamlet, and still
        reads them back (docs/SPEC.md §2: "own records")."""
        scoped = super().for_user(user, roles)
        if not getattr(user, "is_authenticated", False) or not user.is_active or user.is_superuser:
            return scoped
        if not scoping.scope_paths(user, roles):
            return scoped
        return scoped | self.filter(member__user=user)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Visit(models.Model):
    """One visit (or one-stop-desk help) by a team member, with one or more activities.

    ``client_uuid`` is chosen by the phone; the unique constraint makes every send idempotent.
    """

    client_uuid = models.UUIDField(_("client UUID"), unique=True)
    # The foreign keys' own indexes would repeat the leading columns of the indexes in Meta; every visit written
    # pays for each index, so they have none of their own.
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    team = models.ForeignKey(
        "teams.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    date = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    note = text.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-id"]
        indexes = [
            # covering: the rollup counts an area's distinct households from this index alone
            models.Index(fields=["area", "date"], name="visit_area_date_household", include=["household"]),
            models.Index(fields=["team", "date"], name="visit_team_date"),
            models.Index(fields=["member", "date"], name="visit_member_date"),
            models.Index(fields=["household"], name="visit_household"),
        ]
        constraints = text.constraints("visit", notes=("note",))

    def __str__(self) -> str:
        return f"{self.date} {self.get_channel_display()}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class VisitActivity(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="activities", db_index=False)  # see Meta
    activity_type = models.ForeignKey(
        ActivityType, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("visit activity")
        verbose_name_plural = _("visit activities")
        constraints = [
            models.UniqueConstraint(fields=["visit", "activity_type"], name="visit_activity_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="visit_activity_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_type_id} × {self.quantity}"


class ExportLog(models.Model):
    """Who exported or printed personal data, when, what and how many rows (Decree 356/2025/ND-CP)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(_("what"), max_length=50)
    # The log is filed under its area (who may read it follows from it): a unit with logs is not deleted.
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("export of personal data")
        verbose_name_plural = _("exports of personal data")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.rows})"
