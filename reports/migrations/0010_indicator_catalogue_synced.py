"""The indicator catalogue complete at migration time, now that reading it no longer fills it in.

Until now the indicator of an activity added after ``0002`` was created on the first read of the catalogue. This
adds whatever is still missing — a structural indicator of ``0002``, an activity's indicator — with the rows
``0002`` gives them, and changes none that exists (names may have been edited since). Later additions go through
``reports.services.indicators_sync`` (the admin, ``manage.py sync_indicators``).
"""

import importlib

from django.db import migrations

CATALOGUE = importlib.import_module("reports.migrations.0002_dirty_triggers_and_catalogue")


def sync(apps, schema_editor):
    Indicator = apps.get_model("reports", "Indicator")
    ActivityType = apps.get_model("households", "ActivityType")
    for order, (code, name_vi, name_en, unit, aggregation, description) in enumerate(CATALOGUE.INDICATORS, start=1):
        Indicator.objects.get_or_create(
            code=code,
            defaults={"name_vi": name_vi, "name_en": name_en, "unit": unit, "aggregation": aggregation,
                      "description": description, "order": order},
        )  # fmt: skip
    for activity in ActivityType.objects.filter(indicator__isnull=True):
        Indicator.objects.update_or_create(
            code=activity.code,
            defaults={"name_vi": activity.name_vi, "name_en": activity.name_en, "unit": "người",
                      "aggregation": "sum", "activity_type": activity, "order": 100 + activity.order,
                      "description": "Sum of the quantities (people helped) of this activity in the period."},
        )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0009_text_one_spelling"),
        ("households", "0009_text_one_spelling"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
