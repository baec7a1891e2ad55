from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    Jurisdiction = apps.get_model("jurisdictions", "Jurisdiction")
    if Jurisdiction.objects.filter(parent__isnull=True).exists():
        return
    root = Jurisdiction.objects.create(
        code="state",
        name=settings.EPITRACE_STATE_NAME,
        kind="state",
        state_code=settings.EPITRACE_STATE_CODE,
        time_zone=settings.TIME_ZONE,
        path="",
    )
    # Historical models do not run Jurisdiction.save(); set the path here.
    Jurisdiction.objects.filter(pk=root.pk).update(path=f"/{root.pk}/")


class Migration(migrations.Migration):
    dependencies = [("jurisdictions", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
