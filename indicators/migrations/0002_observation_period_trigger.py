from django.db import migrations

from core.periods import period_trigger_sql


class Migration(migrations.Migration):
    """Observations get their period's first and last day from the database."""

    dependencies = [("indicators", "0001_initial"), ("core", "0001_database_functions")]

    operations = [
        migrations.RunSQL(
            period_trigger_sql("indicators_observation"),
            reverse_sql="DROP TRIGGER IF EXISTS indicators_observation_period_bounds ON indicators_observation;",
        ),
    ]
