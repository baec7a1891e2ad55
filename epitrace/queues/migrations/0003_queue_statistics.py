"""Tell PostgreSQL's planner that an item's queue and jurisdiction go together.

Next filters on both (the queue it works, the jurisdictions it may see). The
planner treats them as independent, underestimates the rows by two orders of
magnitude and joins two bitmap scans and sorts, instead of reading the first
entries of the queue's index: 11 ms instead of 0.5 ms at a million items.
Extended statistics (PostgreSQL only) fix the estimate. SQLite has none.
"""

from django.db import migrations

CREATE = (
    "CREATE STATISTICS IF NOT EXISTS workitem_queue_jurisdiction (dependencies, ndistinct) "
    "ON queue_id, jurisdiction_id, state FROM queues_workitem"
)
DROP = "DROP STATISTICS IF EXISTS workitem_queue_jurisdiction"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("queues", "0002_active_priority_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
