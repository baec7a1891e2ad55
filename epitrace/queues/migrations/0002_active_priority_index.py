from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("queues", "0001_work_items"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("state__in", ["open", "claimed"])),
                fields=["-priority", "id"],
                name="workitem_active_priority",
            ),
        ),
    ]
