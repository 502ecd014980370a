from django.db import migrations

# core.trees.tree_triggers_sql("regions_region"), frozen as this migration first ran it.
TREE_TRIGGERS_SQL = """
CREATE TRIGGER regions_region_set_path BEFORE INSERT OR UPDATE ON regions_region
FOR EACH ROW EXECUTE FUNCTION tree_set_path();
CREATE TRIGGER regions_region_move_subtree AFTER UPDATE ON regions_region
FOR EACH ROW WHEN (NEW.path IS DISTINCT FROM OLD.path) EXECUTE FUNCTION tree_move_subtree();
CREATE INDEX regions_region_path_gist ON regions_region USING gist (path);
"""

# core.trees.drop_tree_triggers_sql("regions_region"), frozen as this migration first ran it.
DROP_TREE_TRIGGERS_SQL = """
DROP TRIGGER IF EXISTS regions_region_set_path ON regions_region;
DROP TRIGGER IF EXISTS regions_region_move_subtree ON regions_region;
DROP INDEX IF EXISTS regions_region_path_gist;
"""

LEVEL_SQL = r"""
CREATE OR REPLACE FUNCTION regions_level_rank(level text) RETURNS int
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE level
        WHEN 'country' THEN 0 WHEN 'province' THEN 1 WHEN 'prefecture_city' THEN 2
        WHEN 'district' THEN 3 WHEN 'county' THEN 3 WHEN 'county_city' THEN 3
        WHEN 'development_zone' THEN 4 WHEN 'block' THEN 5
    END
$$;

CREATE OR REPLACE FUNCTION regions_check_level() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent_level text;
BEGIN
    IF NEW.parent_id IS NOT NULL THEN
        SELECT level INTO parent_level FROM regions_region WHERE id = NEW.parent_id;
        IF regions_level_rank(parent_level) >= regions_level_rank(NEW.level) THEN
            RAISE EXCEPTION 'a % cannot sit below a %', NEW.level, parent_level
                USING ERRCODE = 'check_violation', CONSTRAINT = 'regions_region_below_parent_level';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.level IS DISTINCT FROM OLD.level AND EXISTS (
        SELECT 1 FROM regions_region c
        WHERE c.parent_id = NEW.id AND regions_level_rank(c.level) <= regions_level_rank(NEW.level)
    ) THEN
        RAISE EXCEPTION 'a % cannot sit above its children', NEW.level
            USING ERRCODE = 'check_violation', CONSTRAINT = 'regions_region_below_parent_level';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER regions_region_check_level BEFORE INSERT OR UPDATE OF level, parent_id ON regions_region
FOR EACH ROW EXECUTE FUNCTION regions_check_level();
"""


class Migration(migrations.Migration):
    """The database keeps each region's path, refuses cycles and keeps levels in order."""

    dependencies = [("regions", "0001_initial")]

    operations = [
        migrations.RunSQL(TREE_TRIGGERS_SQL, reverse_sql=DROP_TREE_TRIGGERS_SQL),
        migrations.RunSQL(
            LEVEL_SQL,
            reverse_sql="DROP TRIGGER IF EXISTS regions_region_check_level ON regions_region;"
            "DROP FUNCTION IF EXISTS regions_check_level(); DROP FUNCTION IF EXISTS regions_level_rank(text);",
        ),
    ]
