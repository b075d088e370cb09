import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnscd.settings")

app = Celery("cnscd")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def privacy_housekeeping(sender, **kwargs) -> None:
    """Personal data that must not outlive its purpose (docs/security.md): uploaded import files (hourly) and
    phones left in the audit history of households without consent (daily)."""
    from celery.schedules import crontab

    sender.add_periodic_task(
        crontab(minute=17), sender.signature("imports.tasks.import_files_cleanup_task"), name="import-files-cleanup"
    )
    sender.add_periodic_task(
        crontab(hour=2, minute=10),
        sender.signature("households.tasks.household_history_sweep_task"),
        name="household-history-sweep",
    )
