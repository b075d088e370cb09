from celery import shared_task

from imports import services


@shared_task(bind=True, max_retries=2, default_retry_delay=5, acks_late=True)
def run_import(self, job_id: int) -> str:
    """Run an import job (ids in, a service call; a finished job is never run twice)."""
    try:
        return services.import_job_run(job_id=job_id).status
    except Exception as error:
        if self.request.retries >= self.max_retries:
            services.import_job_fail(job_id=job_id)
            raise
        raise self.retry(exc=error) from error


@shared_task(acks_late=True)
def import_files_cleanup_task() -> int:
    """Hourly (Celery beat): delete the uploaded files a crash or an unconfirmed dry run left on disk."""
    return services.import_files_cleanup()
