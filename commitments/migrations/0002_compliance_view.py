from django.db import migrations

# The verdict on each commitment for each period (commitments.models.Compliance says the rules), worked out
# set-wise whenever it is read: a page of the compliance list is one statement, whatever its size.
COMPLIANCE_VIEW_SQL = r"""
CREATE FUNCTION commitments_compliance_rows() RETURNS TABLE (
    id bigint, commitment_id bigint, project_id bigint, kind text, period text, period_start date, status text,
    due_on date, observation_id bigint, observed_value numeric, observed_unit text, actual numeric, reached_on date
)
-- Planned on its own, without JIT: a plan over every commitment is estimated costly (generate_series is
-- guessed at 1000 rows a call), and compiling it took seconds where running it takes a tenth of one.
LANGUAGE sql STABLE SET jit = off ROWS 10000 AS $$
SELECT u.id::bigint, u.commitment_id::bigint, u.project_id::bigint, u.kind::text, u.period::text, u.period_start,
       u.status::text, u.due_on, u.observation_id::bigint, u.observed_value::numeric, u.observed_unit::text,
       u.actual::numeric, u.reached_on
FROM (
WITH commitment AS (
    SELECT c.id, c.project_id, c.kind, c.comparator, c.target, c.land_area,
           COALESCE(c.due_on, (
               SELECT (m.date + make_interval(months => c.due_offset_months))::date
               FROM projects_milestone m
               WHERE m.project_id = c.project_id AND m.stage = c.due_milestone AND NOT m.is_planned
           )) AS due_on
    FROM commitments_commitment c
),
observed AS (
    SELECT c.id AS commitment_id, c.project_id, c.kind, c.comparator, c.target, c.due_on,
           o.id AS observation_id, o.period,
           make_date(left(o.period, 4)::int, CASE WHEN length(o.period) > 4 THEN 3 * right(o.period, 1)::int - 2 ELSE 1 END, 1)
               AS period_start, o.value AS observed_value, o.unit AS observed_unit,
           CASE WHEN c.kind IN ('investment_intensity', 'tax_per_mu') AND o.unit = 'wan_yuan'
                THEN o.value / c.land_area ELSE o.value END AS actual
    FROM commitment c
    JOIN commitments_commitmentobservation o ON o.commitment_id = c.id
    WHERE c.comparator <> 'by_date'
),
pending AS (
    SELECT c.id AS commitment_id, c.project_id, c.kind, c.due_on, y.year
    FROM commitment c
    CROSS JOIN LATERAL generate_series(
        extract(year FROM c.due_on)::int + CASE WHEN c.due_on = date_trunc('year', c.due_on)::date THEN 0 ELSE 1 END,
        extract(year FROM current_date)::int - 1
    ) AS y(year)
    WHERE c.comparator <> 'by_date' AND c.due_on IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM commitments_commitmentobservation o
          WHERE o.commitment_id = c.id AND left(o.period, 4) = y.year::text
      )
),
dated AS (
    SELECT c.id AS commitment_id, c.project_id, c.kind, c.due_on, (
               SELECT min(m.date) FROM projects_milestone m
               WHERE m.project_id = c.project_id AND NOT m.is_planned AND m.stage = ANY(
                   CASE c.kind WHEN 'start_by' THEN ARRAY['construction_started', 'in_production', 'at_capacity']
                               ELSE ARRAY['in_production', 'at_capacity'] END
               )
           ) AS reached_on
    FROM commitment c
    WHERE c.comparator = 'by_date'
)
SELECT o.commitment_id::bigint * 100000 + left(o.period, 4)::int * 10
           + CASE WHEN length(o.period) > 4 THEN right(o.period, 1)::int ELSE 0 END AS id,
       o.commitment_id, o.project_id, o.kind, o.period, o.period_start,
       CASE WHEN o.due_on IS NULL OR o.period_start < o.due_on THEN 'not_yet_due'
            WHEN (o.comparator = 'at_least' AND o.actual >= o.target)
              OR (o.comparator = 'at_most' AND o.actual <= o.target)
              OR (o.comparator = 'equal' AND o.actual = o.target) THEN 'met'
            ELSE 'breach' END AS status,
       o.due_on, o.observation_id, o.observed_value, o.observed_unit, round(o.actual, 4) AS actual,
       NULL::date AS reached_on
FROM observed o
UNION ALL
SELECT p.commitment_id::bigint * 100000 + p.year * 10, p.commitment_id, p.project_id, p.kind, p.year::text,
       make_date(p.year, 1, 1), 'pending', p.due_on, NULL, NULL, NULL, NULL, NULL
FROM pending p
UNION ALL
SELECT c.id::bigint * 100000, c.id, c.project_id, c.kind, NULL, NULL, 'not_yet_due', c.due_on,
       NULL, NULL, NULL, NULL, NULL
FROM commitment c
WHERE c.comparator <> 'by_date'
  AND NOT EXISTS (SELECT 1 FROM commitments_commitmentobservation o WHERE o.commitment_id = c.id)
  -- nothing reported, so a pending year exists unless no full year has passed since the due date
  AND (c.due_on IS NULL OR extract(year FROM c.due_on)::int
       + CASE WHEN c.due_on = date_trunc('year', c.due_on)::date THEN 0 ELSE 1 END > extract(year FROM current_date)::int - 1)
UNION ALL
SELECT d.commitment_id::bigint * 100000, d.commitment_id, d.project_id, d.kind, NULL, NULL,
       CASE WHEN d.due_on IS NOT NULL AND d.reached_on <= d.due_on THEN 'met'
            WHEN d.due_on IS NOT NULL AND d.due_on < current_date THEN 'breach'
            ELSE 'not_yet_due' END,
       d.due_on, NULL, NULL, NULL, NULL, d.reached_on
FROM dated d
) u;
$$;

CREATE VIEW commitments_compliance AS SELECT * FROM commitments_compliance_rows();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0001_commitments"),
    ]

    operations = [
        migrations.RunSQL(COMPLIANCE_VIEW_SQL, reverse_sql="DROP VIEW IF EXISTS commitments_compliance; DROP FUNCTION IF EXISTS commitments_compliance_rows();"),
    ]
