from django.db import migrations


class Migration(migrations.Migration):
    """The data generation: one counter that every write to the data a summary reads raises.

    Cross-app plumbing, hence core; plain SQL with no model, since only raw SQL reads it (see
    projects/summary_cache.py, and projects' migration 0008 for the triggers that raise it).
    """

    dependencies = [("core", "0001_database_functions")]

    operations = [
        migrations.RunSQL(
            "CREATE TABLE core_datageneration ("
            " id smallint PRIMARY KEY CHECK (id = 1),"
            " n bigint NOT NULL);"
            "INSERT INTO core_datageneration (id, n) VALUES (1, 1);",
            reverse_sql="DROP TABLE IF EXISTS core_datageneration;",
        ),
    ]
