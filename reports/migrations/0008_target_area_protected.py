"""Deleting a unit never deletes its targets silently: the deletion is refused while targets name it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_audit_triggers_per_statement"),
    ]

    operations = [
        migrations.AlterField(
            model_name="target",
            name="area",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="areas.area", verbose_name="area"
            ),
        ),
    ]
