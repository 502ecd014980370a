from django.db import migrations

# core.periods.period_trigger_sql("indicators_observation"), frozen as this migration first ran it.
PERIOD_TRIGGER_SQL = """
CREATE TRIGGER indicators_observation_period_bounds
BEFORE INSERT OR UPDATE OF period ON indicators_observation
FOR EACH ROW EXECUTE FUNCTION set_period_bounds();
"""


class Migration(migrations.Migration):
    """Observations get their period's first and last day from the database."""

    dependencies = [("indicators", "0001_initial"), ("core", "0001_database_functions")]

    operations = [
        migrations.RunSQL(
            PERIOD_TRIGGER_SQL,
            reverse_sql="DROP TRIGGER IF EXISTS indicators_observation_period_bounds ON indicators_observation;",
        ),
    ]
