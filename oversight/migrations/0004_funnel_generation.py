from django.db import migrations

# The statement triggers of projects.summary_cache (tracker_bump_data_generation, projects 0008) on
# oversight.funnel.FUNNEL_TABLES, frozen as this migration first ran them.
GENERATION_TRIGGERS_SQL = (
    'CREATE OR REPLACE TRIGGER "projects_fundsinplace_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
    'ON "projects_fundsinplace" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "oversight_signingevent_data_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
    'ON "oversight_signingevent" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();\n'
    'CREATE OR REPLACE TRIGGER "oversight_signingeventproject_data_generation" AFTER INSERT OR UPDATE OR DELETE OR '
    'TRUNCATE ON "oversight_signingeventproject" FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();'
)

DROP_GENERATION_TRIGGERS_SQL = """DROP TRIGGER IF EXISTS "projects_fundsinplace_data_generation" ON "projects_fundsinplace";
DROP TRIGGER IF EXISTS "oversight_signingevent_data_generation" ON "oversight_signingevent";
DROP TRIGGER IF EXISTS "oversight_signingeventproject_data_generation" ON "oversight_signingeventproject";"""


class Migration(migrations.Migration):
    """The funnel is kept in the answer cache: writes to the funds in place and the signing events, which it reads
    besides the summaries' tables, raise the data generation too (projects/summary_cache.py)."""

    dependencies = [
        ("oversight", "0003_signing_events"),
        ("projects", "0008_summary_cache"),
    ]

    operations = [
        migrations.RunSQL(GENERATION_TRIGGERS_SQL, reverse_sql=DROP_GENERATION_TRIGGERS_SQL),
    ]
