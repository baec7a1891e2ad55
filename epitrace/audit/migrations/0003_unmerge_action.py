"""The audit vocabulary gains "unmerge" (it was a merge event with an operation)."""

from django.conf import settings
from django.db import migrations, models

from epitrace.audit.choices import Action


def lift_triggers(apps, schema_editor):
    # SQLite rebuilds the table to change a constraint, and the append-only
    # triggers would refuse the copy: they are put back right after.
    from epitrace.audit import triggers

    triggers.remove(schema_editor.connection)


def restore_triggers(apps, schema_editor):
    from epitrace.audit import triggers

    triggers.install(schema_editor.connection)


ACTIONS = [
    "read", "search", "create", "update", "delete", "login", "login_failed", "logout", "mfa",
    "denied", "permission_change", "share", "unshare", "transfer", "break_glass", "export",
    "purge", "merge", "unmerge",
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(lift_triggers, restore_triggers, elidable=False),
        migrations.RemoveConstraint(model_name="auditevent", name="auditevent_action_valid"),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(choices=Action.choices, max_length=32),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(action__in=ACTIONS), name="auditevent_action_valid"
            ),
        ),
        migrations.RunPython(restore_triggers, lift_triggers, elidable=False),
    ]
