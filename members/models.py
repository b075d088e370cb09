from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from areas.scoping import ScopedQuerySet
from cnscd import text


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")


class Organization(models.TextChoices):
    YOUTH_UNION = "youth_union", _("Youth Union")
    WOMEN_UNION = "women_union", _("Women's Union")
    FARMERS_UNION = "farmers_union", _("Farmers' Union")
    VETERANS = "veterans", _("Veterans' Association")
    FATHERLAND_FRONT = "fatherland_front", _("Fatherland Front")
    POLICE = "police", _("Police")
    COMMUNE_STAFF = "commune_staff", _("Commune staff")
    HAMLET_HEAD = "hamlet_head", _("Hamlet head")
    PARTY_CELL = "party_cell", _("Party cell")
    ENTERPRISE = "enterprise", _("Enterprise (VNPT, Viettel, Vietnam Post…)")
    TEACHER = "teacher", _("Teacher")
    OTHER = "other", _("Other")


class MemberRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    DEPUTY = "deputy", _("Deputy")
    MEMBER = "member", _("Member")


class MemberQuerySet(ScopedQuerySet):
    area_path_field = "team__area__path"

    def active(self) -> MemberQuerySet:
        return self.filter(left_on__isnull=True)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Member(models.Model):
    """A person on a team's roster. A citizen-ID is never stored in clear: keyed hash + last 4 digits."""

    team = models.ForeignKey("teams.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
    )
    full_name = text.CharField(_("full name"), max_length=150)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    citizen_id_hash = models.CharField(max_length=64, blank=True, editable=False)
    citizen_id_last4 = models.CharField(_("citizen ID (last 4 digits)"), max_length=4, blank=True, editable=False)
    organization = models.CharField(_("organisation"), max_length=20, choices=Organization.choices)
    role = models.CharField(_("role in team"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    trained_on = models.DateField(_("finished the community digital skills course on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(role="leader", left_on__isnull=True),
                name="one_active_leader_per_team",
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(left_on__isnull=True) & ~models.Q(phone=""),
                name="active_member_phone_unique",
            ),
            models.UniqueConstraint(
                fields=["citizen_id_hash"],
                condition=models.Q(left_on__isnull=True) & ~models.Q(citizen_id_hash=""),
                name="active_member_citizen_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(joined_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="member_left_after_joined",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True) | models.Q(birth_year__gte=1900, birth_year__lte=2100),
                name="member_birth_year_plausible",
            ),
            *text.constraints("member", "full_name"),
        ]
        indexes = [models.Index(fields=["phone"], name="member_phone")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class TrainingSessionQuerySet(ScopedQuerySet):
    area_path_field = "area__path"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class TrainingSession(models.Model):
    """A training held for team members (beyond the online course), with who attended."""

    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="training_sessions"
    )
    held_on = models.DateField(_("date"))
    topic = text.CharField(_("topic"), max_length=300)
    organizer = text.CharField(_("organiser"), max_length=200, blank=True)
    attendees = models.ManyToManyField(
        Member, verbose_name=_("attendees"), related_name="training_sessions", blank=True
    )
    notes = text.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on", "topic"]
        constraints = text.constraints("trainingsession", "topic", "organizer", notes=("notes",))

    def __str__(self) -> str:
        return f"{self.topic} ({self.held_on:%d/%m/%Y})"
