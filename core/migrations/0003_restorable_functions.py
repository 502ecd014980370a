from django.db import migrations

# The trigger functions that name a table, a function of ours or an ltree operator. pg_restore (and any
# session with another search_path) runs them with an empty search_path, where those names resolve to
# nothing; each now carries the search_path it was written for. The functions that use only pg_catalog
# (tracker_bump_version, tracker_search_text, period_bounds, the *_rank helpers) are left alone: a SET
# clause costs a GUC switch per call and stops PostgreSQL inlining an SQL function.
FUNCTIONS = (
    "tree_set_path()",
    "tree_move_subtree()",
    "set_period_bounds()",
    "regions_check_level()",
    "projects_sync_stage()",
    "projects_keep_stage()",
    "tracker_bump_data_generation()",
)

# The function's own schema (tables and helpers live beside it), then ltree's when it lives elsewhere.
SET_SEARCH_PATH_SQL = f"""
DO $$
DECLARE
    fn text;
    path text;
BEGIN
    SELECT string_agg(quote_ident(nspname), ', ' ORDER BY nspname <> current_schema()) INTO path
    FROM pg_namespace
    WHERE nspname = current_schema()
       OR oid = (SELECT extnamespace FROM pg_extension WHERE extname = 'ltree');
    FOREACH fn IN ARRAY ARRAY[{", ".join(f"'{name}'" for name in FUNCTIONS)}] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %s', fn, path);
    END LOOP;
END;
$$;
"""

RESET_SEARCH_PATH_SQL = "".join(f"ALTER FUNCTION {name} RESET search_path;" for name in FUNCTIONS)


def move_subtree_trigger_sql(table: str, condition: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {table}_move_subtree ON {table};"
        f"CREATE TRIGGER {table}_move_subtree AFTER UPDATE ON {table} "
        f"FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION tree_move_subtree();"
    )


# pg_dump prints `IS DISTINCT FROM` without naming its operator's schema, so under pg_restore's empty
# search_path the trigger fails with "operator does not exist: public.ltree = public.ltree" and the
# restored copy stops moving subtrees. A plain `<>` is printed as OPERATOR(public.<>) and restores;
# `path` is NOT NULL, so the two conditions agree.
RESTORABLE = "NEW.path <> OLD.path"
ORIGINAL = "NEW.path IS DISTINCT FROM OLD.path"
TREE_TABLES = ("regions_region", "industries_industry")


class Migration(migrations.Migration):
    """Functions and triggers that pg_dump's output recreates, and that work under any search_path."""

    dependencies = [
        ("core", "0002_data_generation"),
        ("regions", "0005_history_clock_timestamp"),
        ("industries", "0005_history_clock_timestamp"),
        ("projects", "0010_page_cache_generation"),
    ]

    operations = [
        migrations.RunSQL(SET_SEARCH_PATH_SQL, reverse_sql=RESET_SEARCH_PATH_SQL),
        *(
            migrations.RunSQL(
                move_subtree_trigger_sql(table, RESTORABLE), reverse_sql=move_subtree_trigger_sql(table, ORIGINAL)
            )
            for table in TREE_TABLES
        ),
    ]
