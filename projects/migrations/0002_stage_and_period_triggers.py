from django.db import migrations

# core.periods.period_trigger_sql("projects_figure"), frozen as this migration first ran it.
PERIOD_TRIGGER_SQL = """
CREATE TRIGGER projects_figure_period_bounds
BEFORE INSERT OR UPDATE OF period ON projects_figure
FOR EACH ROW EXECUTE FUNCTION set_period_bounds();
"""

STAGE_SQL = r"""
CREATE OR REPLACE FUNCTION projects_stage_rank(stage text) RETURNS int
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT array_position(
        ARRAY['conceived', 'negotiating', 'signed', 'landed', 'construction_started', 'in_production', 'at_capacity'],
        stage
    )
$$;

-- A project's stage is the furthest funnel stage its actual milestones reached, unless the
-- project is on hold or cancelled. Runs for every milestone write, bulk ones included.
CREATE OR REPLACE FUNCTION projects_sync_stage() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pid bigint;
    reached text;
BEGIN
    FOR pid IN
        SELECT DISTINCT x FROM unnest(ARRAY[
            CASE WHEN TG_OP <> 'INSERT' THEN OLD.project_id END,
            CASE WHEN TG_OP <> 'DELETE' THEN NEW.project_id END
        ]) AS x WHERE x IS NOT NULL
    LOOP
        SELECT m.stage INTO reached FROM projects_milestone m
        WHERE m.project_id = pid AND NOT m.is_planned AND projects_stage_rank(m.stage) IS NOT NULL
        ORDER BY projects_stage_rank(m.stage) DESC
        LIMIT 1;
        IF reached IS NOT NULL THEN
            UPDATE projects_project SET stage = reached
            WHERE id = pid AND stage NOT IN ('on_hold', 'cancelled') AND stage <> reached;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE TRIGGER projects_milestone_sync_stage AFTER INSERT OR UPDATE OR DELETE ON projects_milestone
FOR EACH ROW EXECUTE FUNCTION projects_sync_stage();

-- And a write to the project itself (a stale form, a bulk update) cannot move it behind them.
CREATE OR REPLACE FUNCTION projects_keep_stage() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reached text;
BEGIN
    IF NEW.stage IN ('on_hold', 'cancelled') THEN
        RETURN NEW;
    END IF;
    SELECT m.stage INTO reached FROM projects_milestone m
    WHERE m.project_id = NEW.id AND NOT m.is_planned AND projects_stage_rank(m.stage) IS NOT NULL
    ORDER BY projects_stage_rank(m.stage) DESC
    LIMIT 1;
    IF reached IS NOT NULL THEN
        NEW.stage := reached;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER projects_project_keep_stage BEFORE UPDATE OF stage ON projects_project
FOR EACH ROW EXECUTE FUNCTION projects_keep_stage();
"""


class Migration(migrations.Migration):
    """Milestones drive the project's stage; figures get their period's first and last day."""

    dependencies = [("projects", "0001_initial"), ("core", "0001_database_functions")]

    operations = [
        migrations.RunSQL(
            STAGE_SQL,
            reverse_sql="DROP TRIGGER IF EXISTS projects_project_keep_stage ON projects_project;"
            "DROP FUNCTION IF EXISTS projects_keep_stage();"
            "DROP TRIGGER IF EXISTS projects_milestone_sync_stage ON projects_milestone;"
            "DROP FUNCTION IF EXISTS projects_sync_stage(); DROP FUNCTION IF EXISTS projects_stage_rank(text);",
        ),
        migrations.RunSQL(
            PERIOD_TRIGGER_SQL,
            reverse_sql="DROP TRIGGER IF EXISTS projects_figure_period_bounds ON projects_figure;",
        ),
    ]
