from django.db import migrations

# core.trees.tree_triggers_sql("industries_industry"), frozen as this migration first ran it.
TREE_TRIGGERS_SQL = """
CREATE TRIGGER industries_industry_set_path BEFORE INSERT OR UPDATE ON industries_industry
FOR EACH ROW EXECUTE FUNCTION tree_set_path();
CREATE TRIGGER industries_industry_move_subtree AFTER UPDATE ON industries_industry
FOR EACH ROW WHEN (NEW.path IS DISTINCT FROM OLD.path) EXECUTE FUNCTION tree_move_subtree();
CREATE INDEX industries_industry_path_gist ON industries_industry USING gist (path);
"""

# core.trees.drop_tree_triggers_sql("industries_industry"), frozen as this migration first ran it.
DROP_TREE_TRIGGERS_SQL = """
DROP TRIGGER IF EXISTS industries_industry_set_path ON industries_industry;
DROP TRIGGER IF EXISTS industries_industry_move_subtree ON industries_industry;
DROP INDEX IF EXISTS industries_industry_path_gist;
"""


class Migration(migrations.Migration):
    """The database keeps each industry's path and refuses cycles."""

    dependencies = [("industries", "0001_initial")]

    operations = [
        migrations.RunSQL(TREE_TRIGGERS_SQL, reverse_sql=DROP_TREE_TRIGGERS_SQL),
    ]
