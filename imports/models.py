from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from areas import scoping


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    VALID = "valid", _("Checked: no errors (nothing saved, dry run)")
    IMPORTED = "imported", _("Imported")
    REJECTED = "rejected", _("Rejected: nothing saved")
    FAILED = "failed", _("Failed: nothing saved")


FINISHED = (ImportStatus.VALID, ImportStatus.IMPORTED, ImportStatus.REJECTED, ImportStatus.FAILED)


class ImportJobQuerySet(models.QuerySet):
    def for_user(self, user, roles=None) -> ImportJobQuerySet:
        """A job belongs to the user who started it (its rows were checked against that user's scope), who sees it
        while holding one of ``roles``."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        if roles is not None and not scoping.holds_role(user, roles):
            return self.none()
        return self.filter(created_by=user)

    def restrict(self, user, action: str) -> ImportJobQuerySet:
        from areas import policy

        return policy.restrict(self, user, action)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude=["processed"])))
class ImportJob(models.Model):
    """One uploaded spreadsheet and what became of it: row count, progress, per-row errors, result."""

    kind = models.CharField(_("kind"), max_length=20)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.processed / self.rows)) if self.rows else (100 if self.is_finished else 0)
