from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Window",
            fields=[
                ("key", models.TextField(primary_key=True, serialize=False)),
                ("hits", models.PositiveIntegerField()),
                ("ends", models.DateTimeField()),
            ],
            options={"db_table": "ratelimits_window"},
        ),
        # Counters are not worth WAL: a crash that empties the table only hands out fresh allowances
        # (api.throttling).
        migrations.RunSQL(
            "ALTER TABLE ratelimits_window SET UNLOGGED", reverse_sql="ALTER TABLE ratelimits_window SET LOGGED"
        ),
    ]
