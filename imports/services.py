"""Imports: create a job from an upload, run it (inline when small, else in Celery), report per-row errors."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from areas import policy
from imports import registry, xlsx
from imports.base import FileError, RowError
from imports.masking import mask_values
from imports.models import FINISHED, ImportJob, ImportStatus

logger = logging.getLogger(__name__)

# Files with more data rows than this are processed by Celery (the page shows a progress bar).
SYNC_MAX_ROWS = getattr(settings, "IMPORT_SYNC_MAX_ROWS", 1000)
MAX_BYTES = getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024)
PROGRESS_EVERY = 250
# An uploaded file holds citizen-IDs and phones, with or without consent: it is deleted once its import ends, or,
# for a dry run without errors, once it is confirmed. A file still on disk after this many hours (a valid dry run
# nobody confirmed, a crash) is removed by ``import_files_cleanup`` (Celery beat, hourly).
FILE_MAX_AGE_HOURS = getattr(settings, "IMPORT_FILE_MAX_AGE_HOURS", 24)


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
    try:
        job.rows = _estimate_rows(job)
        job.save(update_fields=["rows"])
        if job.rows <= SYNC_MAX_ROWS:
            import_job_run(job_id=job.pk)
            job.refresh_from_db()
        else:
            transaction.on_commit(lambda: _enqueue(job.pk))
    except BaseException:
        _file_delete(job.file.name)  # the job's row is rolled back: its file must not stay behind it
        raise
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
    # The report says where and what, never the citizen-ID or phone typed in the cell (imports.masking).
    job.errors = [mask_values(e.as_dict()) for e in errors]
    job.processed = job.rows
    job.created, job.updated, job.unchanged = created, updated, unchanged
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "processed", "rows", "created", "updated", "unchanged", "finished_at"])
    if status != ImportStatus.VALID:
        job.file.name = import_file_release(name=job.file.name)
    return job


def import_job_fail(*, job_id: int) -> None:
    """A run crashed for good (after retries): say so instead of leaving the job running forever."""
    ImportJob.objects.filter(pk=job_id).exclude(status__in=FINISHED).update(
        status=ImportStatus.FAILED,
        errors=[RowError(None, _("file"), _("The import failed unexpectedly; nothing was saved.")).as_dict()],
        finished_at=timezone.now(),
    )
    name = ImportJob.objects.filter(pk=job_id).values_list("file", flat=True).first()
    if name:
        import_file_release(name=name)


@transaction.atomic
def import_job_confirm(*, acting_user, job: ImportJob) -> ImportJob:
    """Import for real the file of a dry run that found no errors."""
    if job.status != ImportStatus.VALID or not job.dry_run:
        raise ValidationError(_("Only a dry run without errors can be confirmed."))
    if not policy.permits(acting_user, *registry.RULES[job.kind]):
        raise PermissionDenied(_("Your role does not allow importing this kind of file."))
    registry.handler_class(job.kind).admit(acting_user=acting_user)
    if not job.file.name or not job.file.storage.exists(job.file.name):
        raise ValidationError(
            _("The checked file has been deleted (after %(hours)s hours); upload it again.")
            % {"hours": FILE_MAX_AGE_HOURS}
        )
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


# --- Uploaded files ----------------------------------------------------------------------------------------


def _file_delete(name: str) -> bool:
    """Delete a stored file; whether there was one to delete."""
    if not name:
        return False
    try:
        existed = default_storage.exists(name)
        default_storage.delete(name)
    except OSError:  # the disk refuses: the hourly cleanup tries again
        logger.warning("import file %s could not be deleted", name, exc_info=True)
        return False
    return existed


def import_file_release(*, name: str) -> str:
    """Delete an uploaded file and forget it in every job that names it (a dry run and its confirmation share
    one file); the jobs and their row reports stay. Returns the new (empty) name."""
    _file_delete(name)
    if name:
        ImportJob.objects.filter(file=name).update(file="")
    return ""


def _released(name: str) -> bool:
    existed = default_storage.exists(name)
    import_file_release(name=name)
    return existed


def import_files_cleanup(*, now=None) -> int:
    """Remove what a crash or an unconfirmed dry run left on disk; returns the number of files deleted.

    A file goes when its jobs are all finished and none is a valid dry run younger than ``FILE_MAX_AGE_HOURS``;
    a job still pending or running after that time is failed (its worker is gone). A file under the imports
    folder that no job names (a rolled-back upload) goes once it is that old.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(hours=FILE_MAX_AGE_HOURS)
    stuck = ImportJob.objects.exclude(status__in=FINISHED).filter(created_at__lt=cutoff)
    deleted = sum(default_storage.exists(name) for name in set(stuck.values_list("file", flat=True)) if name)
    for job_id in stuck.values_list("pk", flat=True):
        import_job_fail(job_id=job_id)  # releases its file
    named = ImportJob.objects.exclude(file="")
    keep = set(
        named.exclude(status__in=FINISHED).values_list("file", flat=True)
    ) | set(
        named.filter(status=ImportStatus.VALID, finished_at__gte=cutoff).values_list("file", flat=True)
    )  # fmt: skip
    for name in set(named.values_list("file", flat=True)) - keep:
        deleted += _released(name)
    known = set(ImportJob.objects.exclude(file="").values_list("file", flat=True))
    for name in _stored_files(UPLOAD_FOLDER):
        if name in known:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except OSError:
            continue
        if modified < cutoff:
            deleted += _file_delete(name)
    return deleted


UPLOAD_FOLDER = "imports"  # ImportJob.file's upload_to starts with it


def _stored_files(folder: str) -> list[str]:
    """Every file under ``folder`` of the default storage, as storage names."""
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = [f"{folder}/{name}" for name in files]
    for sub in folders:
        names.extend(_stored_files(f"{folder}/{sub}"))
    return names
