from django.db import migrations


def forwards(apps, schema_editor):
    from epitrace.diseases.reference import load_reference

    load_reference(apps)


class Migration(migrations.Migration):
    dependencies = [("diseases", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
