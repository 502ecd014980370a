from django.db import migrations

# projects.summary_cache.CACHE_TABLE_SQL, frozen as this migration first ran it.
CACHE_TABLE_SQL = """
CREATE TABLE projects_summarycache (
    key text PRIMARY KEY,
    generation bigint NOT NULL,
    payload text NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
"""

# projects.summary_cache.GENERATION_FUNCTION_SQL, frozen as this migration first ran it.
GENERATION_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION tracker_bump_data_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE core_datageneration SET n = n + 1 WHERE id = 1;
    IF NOT FOUND THEN
        -- The row was deleted or truncated: start again above every generation still cached, so an old
        -- row can never match a restarted counter.
        INSERT INTO core_datageneration (id, n)
        SELECT 1, COALESCE(max(generation), 0) + 1 FROM projects_summarycache
        ON CONFLICT (id) DO UPDATE SET n = core_datageneration.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
"""

# projects.summary_cache.generation_triggers_sql(SUMMARY_TABLES), frozen as this migration first ran it.
GENERATION_TRIGGERS_SQL = (
    'CREATE OR REPLACE TRIGGER "projects_project_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON '
    '"projects_project" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "projects_project_industries_data_generation" AFTER INSERT OR UPDATE OR DELETE OR '
    'TRUNCATE ON "projects_project_industries" FOR EACH STATEMENT EXECUTE FUNCTION '
    "tracker_bump_data_generation();\n"
    'CREATE OR REPLACE TRIGGER "projects_milestone_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
    'ON "projects_milestone" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "projects_participant_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
    'ON "projects_participant" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "companies_company_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON '
    '"companies_company" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "regions_region_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON '
    '"regions_region" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "industries_industry_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
    'ON "industries_industry" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();'
)

# projects.summary_cache.generation_triggers_sql(SUMMARY_TABLES, drop=True), frozen as this migration first ran it.
DROP_GENERATION_TRIGGERS_SQL = """DROP TRIGGER IF EXISTS "projects_project_data_generation" ON "projects_project";
DROP TRIGGER IF EXISTS "projects_project_industries_data_generation" ON "projects_project_industries";
DROP TRIGGER IF EXISTS "projects_milestone_data_generation" ON "projects_milestone";
DROP TRIGGER IF EXISTS "projects_participant_data_generation" ON "projects_participant";
DROP TRIGGER IF EXISTS "companies_company_data_generation" ON "companies_company";
DROP TRIGGER IF EXISTS "regions_region_data_generation" ON "regions_region";
DROP TRIGGER IF EXISTS "industries_industry_data_generation" ON "industries_industry";"""


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
            GENERATION_TRIGGERS_SQL,
            reverse_sql=DROP_GENERATION_TRIGGERS_SQL,
        ),
    ]
