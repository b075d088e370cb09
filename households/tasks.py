from celery import shared_task

from households import services


@shared_task(acks_late=True)
def household_history_sweep_task() -> int:
    """Daily (Celery beat): no phone stays in the audit history of a household without consent."""
    return services.household_history_sweep()
