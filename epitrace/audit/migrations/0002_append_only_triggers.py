"""Install the append-only triggers (PostgreSQL: plpgsql functions; SQLite: RAISE(ABORT))."""

from django.db import migrations


def forwards(apps, schema_editor):
    from epitrace.audit import triggers

    triggers.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from epitrace.audit import triggers

    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
