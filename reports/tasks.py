"""Thin Celery tasks: ids in, a service call; idempotent and retried."""

from celery import shared_task
from django.core.cache import cache

from reports import rollup, services


@shared_task(bind=True, max_retries=3, default_retry_delay=10, acks_late=True)
def rollup_incremental_task(self) -> dict:
    """Bring the KPIs up to date with the visits and rosters changed since the last run."""
    cache.delete("kpi-rollup-queued")
    try:
        result = rollup.rollup_incremental()
    except Exception as error:
        raise self.retry(exc=error) from error
    return {"kind": result.kind, "seconds": round(result.seconds, 3), "rows": result.rows}


@shared_task(bind=True, max_retries=2, default_retry_delay=60, acks_late=True)
def rollup_full_task(self) -> dict:
    """Recompute every KPI (nightly, and on demand)."""
    try:
        result = rollup.rollup_full()
    except Exception as error:
        raise self.retry(exc=error) from error
    return {"kind": result.kind, "seconds": round(result.seconds, 3), "rows": result.rows}


@shared_task(bind=True, max_retries=2, default_retry_delay=10, acks_late=True)
def generate_report_task(self, report_id: int) -> str:
    try:
        return services.report_generate(report_id=report_id).status
    except Exception as error:
        if self.request.retries >= self.max_retries:
            services.report_fail(report_id=report_id, error=str(error))
            raise
        raise self.retry(exc=error) from error
