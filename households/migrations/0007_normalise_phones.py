"""Household phones in the one form of ``cnscd.phones`` (``+84 912 345 678`` → ``0912345678``).

The API used to store numbers as typed (``+84…``, with dots or spaces): the same number then read differently from
an imported one and a file exported with it could fail to import again. A stored number that the rule does not
accept is left as it is (nothing is lost) and listed on the console, for the commune to correct.
"""

from django.db import migrations

from cnscd import phones


def normalise(apps, schema_editor):
    Household = apps.get_model("households", "Household")
    changed, refused = [], []
    for pk, phone in Household.objects.exclude(phone="").values_list("pk", "phone").iterator(chunk_size=5000):
        number = phones.normalized(phone)
        if not (phones.is_mobile(number) or phones.is_landline(number)):
            refused.append(pk)
        elif number != phone:
            changed.append(Household(pk=pk, phone=number))
    Household.objects.bulk_update(changed, ["phone"], batch_size=2000)
    if refused:
        print(
            f"\n  households: {len(refused)} stored phone(s) are not Vietnamese numbers, left unchanged: {refused[:50]}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0006_activity_requires_note"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
