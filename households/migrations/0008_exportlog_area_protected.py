"""Deleting a unit never loses the logs of the personal data exported under it: the deletion is refused."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0007_normalise_phones"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exportlog",
            name="area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
            ),
        ),
    ]
