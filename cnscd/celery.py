import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnscd.settings")

app = Celery("cnscd")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
