from django.db import migrations

from core.periods import PERIOD_BOUNDS_SQL
from core.search import SEARCH_TEXT_SQL
from core.trees import TREE_FUNCTIONS_SQL


class Migration(migrations.Migration):
    """SQL functions that several apps' triggers share: tree paths and period bounds."""

    initial = True
    dependencies = []

    operations = [
        migrations.RunSQL(
            TREE_FUNCTIONS_SQL,
            reverse_sql="DROP FUNCTION IF EXISTS tree_move_subtree(); DROP FUNCTION IF EXISTS tree_set_path();",
        ),
        migrations.RunSQL(
            PERIOD_BOUNDS_SQL,
            reverse_sql="DROP FUNCTION IF EXISTS set_period_bounds(); DROP FUNCTION IF EXISTS period_bounds(text);",
        ),
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL(SEARCH_TEXT_SQL, reverse_sql="DROP FUNCTION IF EXISTS tracker_search_text(text, text, text[]);"),
    ]
