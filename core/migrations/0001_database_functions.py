from django.db import migrations

# core.trees.TREE_FUNCTIONS_SQL, frozen as this migration first ran it.
TREE_FUNCTIONS_SQL = """
CREATE EXTENSION IF NOT EXISTS ltree;

CREATE OR REPLACE FUNCTION tree_set_path() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent_path ltree;
BEGIN
    -- Rows rewritten by tree_move_subtree() already carry their new path.
    IF pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    IF NEW.parent_id IS NULL THEN
        NEW.path := NEW.id::text::ltree;
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT path FROM %I.%I WHERE id = $1', TG_TABLE_SCHEMA, TG_TABLE_NAME)
        INTO parent_path USING NEW.parent_id;
    IF parent_path IS NULL THEN
        RAISE EXCEPTION 'parent % of % does not exist', NEW.parent_id, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND parent_path <@ OLD.path THEN
        RAISE EXCEPTION 'a record cannot be placed below itself (cycle in %)', TG_TABLE_NAME
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_no_cycle';
    END IF;
    NEW.path := parent_path || NEW.id::text;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION tree_move_subtree() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Not "AFTER UPDATE OF path": that fires only when the statement itself sets path, and
    -- `.update(parent=...)` sets parent_id, leaving the path change to the BEFORE trigger.
    IF pg_trigger_depth() = 1 THEN
        EXECUTE format(
            'UPDATE %I.%I SET path = $1 || subpath(path, nlevel($2)) WHERE path <@ $2 AND id <> $3',
            TG_TABLE_SCHEMA, TG_TABLE_NAME
        ) USING NEW.path, OLD.path, NEW.id;
    END IF;
    RETURN NULL;
END;
$$;
"""

# core.periods.PERIOD_BOUNDS_SQL, frozen as this migration first ran it.
PERIOD_BOUNDS_SQL = """
CREATE OR REPLACE FUNCTION period_bounds(period text, OUT period_start date, OUT period_end date)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    y int;
    part text;
    first_month int;
    months int;
BEGIN
    IF period !~ '^[1-9][0-9]{3}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$' THEN
        RAISE EXCEPTION 'invalid period %', period USING ERRCODE = 'check_violation';
    END IF;
    y := substr(period, 1, 4)::int;
    part := substr(period, 6);
    IF part = '' THEN first_month := 1; months := 12;
    ELSIF left(part, 1) = 'H' THEN first_month := 1 + 6 * (substr(part, 2)::int - 1); months := 6;
    ELSIF left(part, 1) = 'Q' THEN first_month := 1 + 3 * (substr(part, 2)::int - 1); months := 3;
    ELSE first_month := part::int; months := 1;
    END IF;
    period_start := make_date(y, first_month, 1);
    period_end := (period_start + make_interval(months => months) - interval '1 day')::date;
END;
$$;

CREATE OR REPLACE FUNCTION set_period_bounds() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT b.period_start, b.period_end INTO NEW.period_start, NEW.period_end FROM period_bounds(NEW.period) b;
    RETURN NEW;
END;
$$;
"""

# core.search.SEARCH_TEXT_SQL, frozen as this migration first ran it.
SEARCH_TEXT_SQL = """
CREATE OR REPLACE FUNCTION tracker_search_text(name text, name_zh text, aliases text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(concat_ws(' ', name, name_zh, array_to_string(aliases, ' ')))
$$;
"""


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
        migrations.RunSQL(
            SEARCH_TEXT_SQL, reverse_sql="DROP FUNCTION IF EXISTS tracker_search_text(text, text, text[]);"
        ),
    ]
