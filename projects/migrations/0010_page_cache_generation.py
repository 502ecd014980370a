from django.db import migrations

from projects.summary_cache import PAGE_TABLES, generation_triggers_sql


class Migration(migrations.Migration):
    """A list page shows a project's investment citation, its source and the tracking officer's username:
    writes to those tables raise the data generation too, so that cached pages follow them
    (projects/summary_cache.py). Of `auth_user`, only a change of username does: signing in writes
    `last_login`, which no page shows.
    """

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("sources", "0003_history_clock_timestamp"),
        ("projects", "0009_project_stage_region_index"),
    ]

    operations = [
        migrations.RunSQL(
            generation_triggers_sql(PAGE_TABLES),
            reverse_sql=generation_triggers_sql(PAGE_TABLES, drop=True),
        ),
    ]
