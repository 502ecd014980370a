from django.db import migrations

# projects.summary_cache.generation_triggers_sql(PAGE_TABLES), frozen as this migration first ran it.
GENERATION_TRIGGERS_SQL = (
    'CREATE OR REPLACE TRIGGER "sources_citation_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON '
    '"sources_citation" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "sources_source_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON '
    '"sources_source" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "auth_user_data_generation" AFTER INSERT OR UPDATE OF "username" OR DELETE OR '
    'TRUNCATE ON "auth_user" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();'
)

# projects.summary_cache.generation_triggers_sql(PAGE_TABLES, drop=True), frozen as this migration first ran it.
DROP_GENERATION_TRIGGERS_SQL = """DROP TRIGGER IF EXISTS "sources_citation_data_generation" ON "sources_citation";
DROP TRIGGER IF EXISTS "sources_source_data_generation" ON "sources_source";
DROP TRIGGER IF EXISTS "auth_user_data_generation" ON "auth_user";"""


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
            GENERATION_TRIGGERS_SQL,
            reverse_sql=DROP_GENERATION_TRIGGERS_SQL,
        ),
    ]
