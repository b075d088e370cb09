"""Imports: create a job from an upload, run it (inline when small, else in Celery), report per-row errors."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from areas import policy
from imports import registry, xlsx
from imports.base import FileError, RowError
from imports.models import FINISHED, ImportJob, ImportStatus

logger = logging.getLogger(__name__)

# Files with more data rows than this are processed by Celery (the page shows a progress bar).
SYNC_MAX_ROWS = getattr(settings, "IMPORT_SYNC_MAX_ROWS", 1000)
MAX_BYTES = getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024)
PROGRESS_EVERY = 250


def _estimate_rows(job: ImportJob) -> int:
    """Data rows in the file, cheaply (xlsx: the sheet's dimension; csv: its lines)."""
    name = job.original_name.lower()
    with job.file.open("rb") as handle:
        if name.endswith(".csv"):
            return max(0, sum(1 for _line in handle) - 1)
        try:
            xlsx.check_archive(handle)  # nothing of a workbook beyond the bounds is parsed, not even here
        except xlsx.XlsxError:  # unreadable or too big: the run says why, at once
            return 0
        return max(0, (xlsx.declared_rows(handle) or 1) - 1)


@transaction.atomic
def import_job_create(*, acting_user, kind: str, file, dry_run: bool) -> ImportJob:
    """Store the upload and run it: small files at once, larger ones in the background (``status`` pending)."""
    if kind not in registry.KINDS:
        raise ValidationError({"kind": [_("This kind of import is not available yet.")]})
    if not policy.permits(acting_user, *registry.RULES[kind]):
        raise PermissionDenied(_("Your role does not allow importing this kind of file."))
    registry.handler_class(kind).admit(acting_user=acting_user)
    name = getattr(file, "name", "") or ""
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ValidationError({"file": [_("Upload an Excel (.xlsx) or CSV file.")]})
    if file.size > MAX_BYTES:
        raise ValidationError(
            {"file": [_("The file is too large (at most %(mb)s MB).") % {"mb": MAX_BYTES // (1024 * 1024)}]}
        )
    job = ImportJob.objects.create(
        kind=kind, file=file, original_name=name[-255:], dry_run=dry_run, created_by=acting_user
    )
    job.rows = _estimate_rows(job)
    job.save(update_fields=["rows"])
    if job.rows <= SYNC_MAX_ROWS:
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from imports.tasks import run_import

    try:
        run_import.delay(job_id)
    except Exception:  # broker down: rosters keep working, the request just takes longer
        logger.warning("Celery unreachable; running import %s in the request", job_id, exc_info=True)
        import_job_run(job_id=job_id)


def import_job_run(*, job_id: int) -> ImportJob:
    """Check every row, then save all of them in one transaction, or none. Idempotent: a finished job is kept."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status in FINISHED:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed=0)
    handler = registry.handler_class(job.kind)(acting_user=job.created_by)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed=done)

    errors: list[RowError] = []
    created = updated = unchanged = 0
    try:
        with job.file.open("rb") as handle:
            rows = handler.read(handle, job.original_name)
        job.rows = len(rows)
        ImportJob.objects.filter(pk=job.pk).update(rows=job.rows)
        # Cells no kind may store (too long, control characters) are refused by the reading, in the dry run and
        # the import alike, so a dry run that says valid always imports.
        errors = sorted([*handler.read_errors, *handler.check(rows, progress)], key=lambda e: (e.row or 0, e.field))
        if not errors and not job.dry_run:
            with transaction.atomic():
                created, updated, unchanged = handler.save()
    except FileError as error:
        errors = [RowError(error.row, _("file"), str(error))]
    except IntegrityError:  # a concurrent change broke a rule after the check: nothing was saved
        logger.warning("import %s: integrity error while saving", job.pk, exc_info=True)
        errors = [RowError(None, _("file"), _("The data changed while importing; nothing was saved. Try again."))]
    if errors:
        status = ImportStatus.REJECTED
    elif job.dry_run:
        status = ImportStatus.VALID
    else:
        status = ImportStatus.IMPORTED
    job.status = status
    job.errors = [e.as_dict() for e in errors]
    job.processed = job.rows
    job.created, job.updated, job.unchanged = created, updated, unchanged
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "processed", "rows", "created", "updated", "unchanged", "finished_at"])
    return job


def import_job_fail(*, job_id: int) -> None:
    """A run crashed for good (after retries): say so instead of leaving the job running forever."""
    ImportJob.objects.filter(pk=job_id).exclude(status__in=FINISHED).update(
        status=ImportStatus.FAILED,
        errors=[RowError(None, _("file"), _("The import failed unexpectedly; nothing was saved.")).as_dict()],
        finished_at=timezone.now(),
    )


@transaction.atomic
def import_job_confirm(*, acting_user, job: ImportJob) -> ImportJob:
    """Import for real the file of a dry run that found no errors."""
    if job.status != ImportStatus.VALID or not job.dry_run:
        raise ValidationError({"detail": _("Only a dry run without errors can be confirmed.")})
    if not policy.permits(acting_user, *registry.RULES[job.kind]):
        raise PermissionDenied(_("Your role does not allow importing this kind of file."))
    registry.handler_class(job.kind).admit(acting_user=acting_user)
    again = ImportJob.objects.create(
        kind=job.kind,
        file=job.file.name,
        original_name=job.original_name,
        dry_run=False,
        rows=job.rows,
        created_by=acting_user,
    )
    if again.rows <= SYNC_MAX_ROWS:
        import_job_run(job_id=again.pk)
        again.refresh_from_db()
    else:
        transaction.on_commit(lambda: _enqueue(again.pk))
    return again
