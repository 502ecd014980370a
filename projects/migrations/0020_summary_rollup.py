from django.db import migrations

# The summaries' rollup (projects.rollup, issue 24): what every project adds to the totals, and those additions
# summed per cell, kept by the database alone, as frozen text (tests/test_migrations_frozen.py).
#
# A summary over most of the projects (no region, a province, a stage, an industry) read them all: 0.2-1 s at
# 300,000 projects. The cells hold the same sums per (region down to the second level, stage, year) and per
# (stage, year, industry code): a few thousand rows each, summed in milliseconds.
#
# projects_summary_fact: one row per project that counts (a project, or a programme whose total the source
#   states exactly: projects.selectors.project_summary), with what it adds: n (1 for a project), total (its
#   CNY amount if it counts in totals, projects.models.counts_in_totals), bounds (1 if that amount is a bound or
#   approximate), without (1 if it counts and has no amount); and where it adds it: region_cell (its region's
#   ancestor at the second level of the tree, or its region when higher up), stage, year (of its latest actual
#   milestone, 0 for none), codes (its industry codes and every broader one) and direct_codes (those it is
#   filed under itself).
# projects_summary_cell: the facts summed, with members (how many facts: a group shows only if it has one).
#   grain 1: per (region_cell, stage, year), code ''. grain 2: per (stage, year, code, direct), region_cell 0:
#   code '*' is every project, '' a project with no industry, else each code of the project (direct: filed under
#   that code itself).
#
# Every write of a project, its milestones or its industry links ends with projects_refresh_summary(ids) for
# the projects it touched (and a programme's projects, whose amounts count or not by the programme's): the
# old facts are taken out of their cells and the new ones added, in the writing transaction. Moves of a region
# or an industry rewrite the projects' filter keys (migration 0012), and so come through the projects' trigger.
# The cells are updated under one transaction-level lock: the data generation row (migration 0008) already
# makes writers wait for each other, and the lock states it here.

APPROXIMATE = "ARRAY['more_than', 'at_least', 'less_than', 'about']"

TABLES_SQL = """
CREATE TABLE projects_summary_fact (
    project_id bigint PRIMARY KEY,
    region_cell bigint NOT NULL,
    stage varchar(32) NOT NULL,
    year integer NOT NULL,
    codes varchar[] NOT NULL,
    direct_codes varchar[] NOT NULL,
    n integer NOT NULL,
    total numeric(20, 2) NOT NULL,
    bounds integer NOT NULL,
    without integer NOT NULL
);
CREATE TABLE projects_summary_cell (
    grain smallint NOT NULL CHECK (grain IN (1, 2)),
    region_cell bigint NOT NULL,
    stage varchar(32) NOT NULL,
    year integer NOT NULL,
    code varchar NOT NULL,
    direct boolean NOT NULL,
    members bigint NOT NULL,
    n bigint NOT NULL,
    total numeric NOT NULL,
    bounds bigint NOT NULL,
    without bigint NOT NULL,
    CONSTRAINT projects_summary_cell_key PRIMARY KEY (grain, region_cell, stage, year, code, direct)
);
CREATE INDEX projects_summary_cell_code ON projects_summary_cell (grain, code) INCLUDE (stage, year, direct);
"""

FUNCTIONS_SQL = f"""
-- What each of `projects` adds to the totals now (the rows of projects_summary_fact).
CREATE OR REPLACE FUNCTION projects_summary_facts(projects bigint[]) RETURNS SETOF projects_summary_fact
LANGUAGE sql STABLE AS $$
    SELECT p.id,
        CASE WHEN nlevel(r.path) > 2 THEN subltree(r.path, 1, 2)::text::bigint ELSE r.id END,
        p.stage,
        coalesce((SELECT extract(year FROM max(m.date))::int FROM projects_milestone m
                  WHERE m.project_id = p.id AND NOT m.is_planned), 0),
        p.industry_codes,
        coalesce((SELECT array_agg(i.code ORDER BY i.code) FROM projects_project_industries pi
                  JOIN industries_industry i ON i.id = pi.industry_id WHERE pi.project_id = p.id), '{{}}'),
        (p.kind = 'project')::int,
        CASE WHEN c.counted AND p.currency = 'CNY' THEN coalesce(p.planned_investment, 0) ELSE 0 END,
        coalesce(c.counted AND p.investment_qualifier = ANY({APPROXIMATE}), false)::int,
        (c.counted AND p.planned_investment IS NULL)::int
    FROM projects_project p
    JOIN regions_region r ON r.id = p.region_id
    CROSS JOIN LATERAL (SELECT coalesce(
        (p.kind = 'programme' AND p.investment_qualifier = 'exact' AND p.planned_investment IS NOT NULL)
        OR (p.kind = 'project' AND NOT EXISTS (
            SELECT 1 FROM projects_project g WHERE g.id = p.programme_id AND g.kind = 'programme'
            AND g.investment_qualifier = 'exact' AND g.planned_investment IS NOT NULL)), false) AS counted) c
    WHERE p.id = ANY(projects)
      AND (p.kind = 'project'
           OR (p.kind = 'programme' AND p.investment_qualifier = 'exact' AND p.planned_investment IS NOT NULL))
$$;

-- The cells a fact adds to.
CREATE OR REPLACE FUNCTION projects_summary_cells(fact_region bigint, fact_codes varchar[], fact_direct varchar[])
RETURNS TABLE (grain smallint, region_cell bigint, code varchar, direct boolean)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 1::smallint, fact_region, ''::varchar, false
    UNION ALL SELECT 2::smallint, 0::bigint, '*'::varchar, false
    UNION ALL SELECT 2::smallint, 0::bigint, ''::varchar, false WHERE cardinality(fact_codes) = 0
    UNION ALL SELECT 2::smallint, 0::bigint, c::varchar, c = ANY(fact_direct) FROM unnest(fact_codes) AS c
$$;

-- Add the stored facts of `projects`, times `sign`, to their cells.
CREATE OR REPLACE FUNCTION projects_summary_add(projects bigint[], sign integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO projects_summary_cell AS cell
    SELECT k.grain, k.region_cell, f.stage, f.year, k.code, k.direct,
        sign * count(*), sign * sum(f.n), sign * sum(f.total), sign * sum(f.bounds), sign * sum(f.without)
    FROM projects_summary_fact f, projects_summary_cells(f.region_cell, f.codes, f.direct_codes) k
    WHERE f.project_id = ANY(projects)
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (grain, region_cell, stage, year, code, direct) DO UPDATE SET
        members = cell.members + excluded.members, n = cell.n + excluded.n, total = cell.total + excluded.total,
        bounds = cell.bounds + excluded.bounds, without = cell.without + excluded.without;
$$;

-- Take `projects`' old facts out of their cells and put their facts of now in.
CREATE OR REPLACE FUNCTION projects_refresh_summary(projects bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(projects) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('projects_summary_cell'));
    PERFORM projects_summary_add(projects, -1);
    DELETE FROM projects_summary_fact WHERE project_id = ANY(projects);
    INSERT INTO projects_summary_fact SELECT * FROM projects_summary_facts(projects);
    PERFORM projects_summary_add(projects, 1);
END;
$$;

-- Every fact and cell again, from the projects (after a load that skipped the triggers, bench.generate). The cells
-- in one pass over the facts: projects_summary_add's `= ANY(projects)` over every project's id would test each
-- fact against the whole array.
CREATE OR REPLACE FUNCTION projects_rebuild_summary() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('projects_summary_cell'));
    DELETE FROM projects_summary_fact;
    DELETE FROM projects_summary_cell;
    INSERT INTO projects_summary_fact SELECT * FROM projects_summary_facts(ARRAY(SELECT id FROM projects_project));
    INSERT INTO projects_summary_cell
    SELECT k.grain, k.region_cell, f.stage, f.year, k.code, k.direct,
        count(*), sum(f.n), sum(f.total), sum(f.bounds), sum(f.without)
    FROM projects_summary_fact f, projects_summary_cells(f.region_cell, f.codes, f.direct_codes) k
    GROUP BY 1, 2, 3, 4, 5, 6;
    -- Summaries kept in the answer cache (projects.summary_cache) may have been computed from the old cells.
    UPDATE core_datageneration SET n = n + 1 WHERE id = 1;
END;
$$;

-- A table emptied at once (the test runner's flush, a reload): everything again.
CREATE OR REPLACE FUNCTION projects_summary_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM projects_rebuild_summary();
    RETURN NULL;
END;
$$;

-- The projects a statement on projects_project touched, and the projects of the programmes among them.
CREATE OR REPLACE FUNCTION projects_project_summary_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        touched := ARRAY(SELECT id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        touched := ARRAY(SELECT id FROM old_rows);
    ELSE
        touched := ARRAY(SELECT id FROM old_rows UNION SELECT id FROM new_rows);
    END IF;
    PERFORM projects_refresh_summary(ARRAY(
        SELECT unnest(touched)
        UNION SELECT id FROM projects_project WHERE programme_id = ANY(touched)
    ));
    RETURN NULL;
END;
$$;

-- The projects whose milestones or industry links a statement touched.
CREATE OR REPLACE FUNCTION projects_child_summary_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM projects_refresh_summary(ARRAY(SELECT DISTINCT project_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM projects_refresh_summary(ARRAY(SELECT DISTINCT project_id FROM old_rows));
    ELSE
        PERFORM projects_refresh_summary(ARRAY(SELECT project_id FROM old_rows UNION SELECT project_id FROM new_rows));
    END IF;
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    fn text;
    path text;
BEGIN
    SELECT string_agg(quote_ident(nspname), ', ' ORDER BY nspname <> current_schema()) INTO path
    FROM pg_namespace
    WHERE nspname = current_schema()
       OR oid = (SELECT extnamespace FROM pg_extension WHERE extname = 'ltree');
    FOREACH fn IN ARRAY ARRAY['projects_summary_facts(bigint[])',
        'projects_summary_cells(bigint, varchar[], varchar[])', 'projects_summary_add(bigint[], integer)',
        'projects_refresh_summary(bigint[])',
        'projects_rebuild_summary()', 'projects_summary_truncated()', 'projects_project_summary_changed()', 'projects_child_summary_changed()'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %s', fn, path);
    END LOOP;
END;
$$;
"""

# Statement triggers, named to fire after the data generation's (triggers fire in name order): a writer
# waits for the generation row first, then finds the cells as the previous writer left them.
TRIGGERS_SQL = """
CREATE TRIGGER projects_project_summary_inserted AFTER INSERT ON projects_project
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_project_summary_changed();
CREATE TRIGGER projects_project_summary_updated AFTER UPDATE ON projects_project
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_project_summary_changed();
CREATE TRIGGER projects_project_summary_deleted AFTER DELETE ON projects_project
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_project_summary_changed();
CREATE TRIGGER projects_project_summary_truncated AFTER TRUNCATE ON projects_project
    FOR EACH STATEMENT EXECUTE FUNCTION projects_summary_truncated();
CREATE TRIGGER projects_milestone_summary_truncated AFTER TRUNCATE ON projects_milestone
    FOR EACH STATEMENT EXECUTE FUNCTION projects_summary_truncated();
CREATE TRIGGER projects_project_industries_summary_truncated AFTER TRUNCATE ON projects_project_industries
    FOR EACH STATEMENT EXECUTE FUNCTION projects_summary_truncated();
CREATE TRIGGER projects_milestone_summary_inserted AFTER INSERT ON projects_milestone
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_child_summary_changed();
CREATE TRIGGER projects_milestone_summary_updated AFTER UPDATE ON projects_milestone
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_child_summary_changed();
CREATE TRIGGER projects_milestone_summary_deleted AFTER DELETE ON projects_milestone
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_child_summary_changed();
CREATE TRIGGER projects_project_industries_summary_inserted AFTER INSERT ON projects_project_industries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_child_summary_changed();
CREATE TRIGGER projects_project_industries_summary_updated AFTER UPDATE ON projects_project_industries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_child_summary_changed();
CREATE TRIGGER projects_project_industries_summary_deleted AFTER DELETE ON projects_project_industries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_child_summary_changed();
"""

BACKFILL_SQL = "SELECT projects_rebuild_summary();"

DROP_SQL = """
DROP TRIGGER IF EXISTS projects_project_summary_truncated ON projects_project;
DROP TRIGGER IF EXISTS projects_milestone_summary_truncated ON projects_milestone;
DROP TRIGGER IF EXISTS projects_project_industries_summary_truncated ON projects_project_industries;
DROP TRIGGER IF EXISTS projects_project_summary_inserted ON projects_project;
DROP TRIGGER IF EXISTS projects_project_summary_updated ON projects_project;
DROP TRIGGER IF EXISTS projects_project_summary_deleted ON projects_project;
DROP TRIGGER IF EXISTS projects_milestone_summary_inserted ON projects_milestone;
DROP TRIGGER IF EXISTS projects_milestone_summary_updated ON projects_milestone;
DROP TRIGGER IF EXISTS projects_milestone_summary_deleted ON projects_milestone;
DROP TRIGGER IF EXISTS projects_project_industries_summary_inserted ON projects_project_industries;
DROP TRIGGER IF EXISTS projects_project_industries_summary_updated ON projects_project_industries;
DROP TRIGGER IF EXISTS projects_project_industries_summary_deleted ON projects_project_industries;
DROP FUNCTION IF EXISTS projects_child_summary_changed();
DROP FUNCTION IF EXISTS projects_project_summary_changed();
DROP FUNCTION IF EXISTS projects_summary_truncated();
DROP FUNCTION IF EXISTS projects_rebuild_summary();
DROP FUNCTION IF EXISTS projects_refresh_summary(bigint[]);
DROP FUNCTION IF EXISTS projects_summary_add(bigint[], integer);
DROP FUNCTION IF EXISTS projects_summary_cells(bigint, varchar[], varchar[]);
DROP FUNCTION IF EXISTS projects_summary_facts(bigint[]);
DROP TABLE IF EXISTS projects_summary_cell;
DROP TABLE IF EXISTS projects_summary_fact;
"""


class Migration(migrations.Migration):
    """The summaries' rollup: each project's additions to the totals and their sums per cell (projects.rollup)."""

    dependencies = [("projects", "0019_search_grams_column")]

    operations = [migrations.RunSQL(TABLES_SQL + FUNCTIONS_SQL + BACKFILL_SQL + TRIGGERS_SQL, DROP_SQL)]
