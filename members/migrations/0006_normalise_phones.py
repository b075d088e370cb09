"""Member phones in the one form of ``cnscd.phones`` (``+84 912 345 678`` → ``0912345678``).

Pages, the API and imports have always normalised members' mobiles; numbers typed elsewhere (the administration)
may not be. Two active members whose numbers become the same would break ``active_member_phone_unique``: such
numbers are never merged or changed silently — they stay as they are and are listed on the console, as are stored
numbers that are not Vietnamese mobiles.
"""

from collections import defaultdict

from django.db import migrations

from cnscd import phones


def normalise(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    rows = list(Member.objects.exclude(phone="").values_list("pk", "phone", "left_on"))
    target = {pk: phones.normalized(phone) for pk, phone, _left in rows}
    active = defaultdict(list)  # normalised number → the active members who would hold it
    for pk, _phone, left_on in rows:
        if left_on is None:
            active[target[pk]].append(pk)
    changed, refused, collisions = [], [], []
    for pk, phone, left_on in rows:
        number = target[pk]
        if not phones.is_mobile(number):
            refused.append(pk)
        elif number != phone:
            if left_on is None and len(active[number]) > 1:
                collisions.append((number, sorted(active[number])))
            else:
                changed.append(Member(pk=pk, phone=number))
    Member.objects.bulk_update(changed, ["phone"], batch_size=2000)
    if refused:
        print(f"\n  members: {len(refused)} stored phone(s) are not Vietnamese mobiles, left unchanged: {refused[:50]}")
    for number, pks in sorted(set((n, tuple(p)) for n, p in collisions)):
        print(f"\n  members: active members {list(pks)} share the number {number} once normalised; left unchanged")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_audit_triggers_per_statement"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
