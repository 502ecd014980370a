from django.db import migrations

from core.trees import drop_tree_triggers_sql, tree_triggers_sql


class Migration(migrations.Migration):
    """The database keeps each industry's path and refuses cycles."""

    dependencies = [("industries", "0001_initial")]

    operations = [
        migrations.RunSQL(
            tree_triggers_sql("industries_industry"), reverse_sql=drop_tree_triggers_sql("industries_industry")
        ),
    ]
