from django.db import migrations

from projects.summary_cache import CACHE_TABLE_SQL, GENERATION_FUNCTION_SQL, SUMMARY_TABLES, generation_triggers_sql


class Migration(migrations.Migration):
    """The summary cache and the statement triggers that raise the data generation.

    Plain SQL outside the model state: only raw SQL reads these (projects/summary_cache.py).
    """

    dependencies = [
        ("core", "0002_data_generation"),
        ("projects", "0007_project_list_order_index"),
        ("regions", "0005_history_clock_timestamp"),
        ("industries", "0005_history_clock_timestamp"),
        ("companies", "0005_history_clock_timestamp"),
    ]

    operations = [
        migrations.RunSQL(CACHE_TABLE_SQL, reverse_sql="DROP TABLE IF EXISTS projects_summarycache;"),
        migrations.RunSQL(
            GENERATION_FUNCTION_SQL, reverse_sql="DROP FUNCTION IF EXISTS tracker_bump_data_generation();"
        ),
        migrations.RunSQL(
            generation_triggers_sql(SUMMARY_TABLES),
            reverse_sql=generation_triggers_sql(SUMMARY_TABLES, drop=True),
        ),
    ]
