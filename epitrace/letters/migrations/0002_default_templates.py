from django.db import migrations


def forwards(apps, schema_editor):
    from epitrace.letters.defaults import install_defaults

    install_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
