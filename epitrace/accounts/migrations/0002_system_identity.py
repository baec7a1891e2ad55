from django.contrib.auth.hashers import make_password
from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.get_or_create(
        is_system=True,
        defaults={
            "username": "system",
            "display_name": "System",
            # No one can log in as the system identity.
            "password": make_password(None),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
