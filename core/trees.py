"""Materialized paths kept by the database: every write, bulk or not, keeps `path` right.

A tree table has `id`, `parent_id` and an ltree `path` of ids from the root (`1.4.27`). A BEFORE
trigger computes a row's path from its parent and refuses cycles; an AFTER trigger moves a
subtree when its root moves. Subtree and ancestor queries then need one GiST-indexed query.
"""

TREE_FUNCTIONS_SQL = r"""
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


def tree_triggers_sql(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_set_path BEFORE INSERT OR UPDATE ON {table}
FOR EACH ROW EXECUTE FUNCTION tree_set_path();
CREATE TRIGGER {table}_move_subtree AFTER UPDATE ON {table}
FOR EACH ROW WHEN (NEW.path IS DISTINCT FROM OLD.path) EXECUTE FUNCTION tree_move_subtree();
CREATE INDEX {table}_path_gist ON {table} USING gist (path);
"""


def drop_tree_triggers_sql(table: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS {table}_set_path ON {table};
DROP TRIGGER IF EXISTS {table}_move_subtree ON {table};
DROP INDEX IF EXISTS {table}_path_gist;
"""
