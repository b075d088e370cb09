"""Usernames get a unique skeleton (``accounts.usernames``: NFKC, casefold, look-alike letters mapped), filled for
the users that exist; users get a session epoch (raised at each deactivation, it ends their sessions).

Two existing users whose names share a skeleton both keep their login: the older keeps the bare skeleton, each
later one gets ``skeleton#id``, which still blocks every new look-alike of them.
"""

from django.db import migrations, models

import accounts.usernames


def fill_username_keys(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set()
    for user in User.objects.order_by("pk").only("pk", "username").iterator():
        key = accounts.usernames.skeleton(user.username)
        if key in taken:
            key = f"{key}#{user.pk}"
        taken.add(key)
        User.objects.filter(pk=user.pk).update(username_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_triggers_per_statement"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="session_epoch",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=600, null=True),
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=600, unique=True),
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                error_messages={"unique": "This username is not available: choose another."},
                help_text="Letters (with or without Vietnamese diacritics), digits and . _ - @ +; at most 150.",
                max_length=150,
                unique=True,
                validators=[accounts.usernames.UsernameValidator()],
                verbose_name="username",
            ),
        ),
        migrations.AlterField(
            model_name="userevent",
            name="username",
            field=models.CharField(
                error_messages={"unique": "This username is not available: choose another."},
                help_text="Letters (with or without Vietnamese diacritics), digits and . _ - @ +; at most 150.",
                max_length=150,
                validators=[accounts.usernames.UsernameValidator()],
                verbose_name="username",
            ),
        ),
    ]
