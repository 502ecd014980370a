from django.db import migrations

# projects_stage_rank (migration 0002) was STRICT, and PostgreSQL inlines a SQL function declared STRICT only when
# its body is strict too; array_position is not, so every call went through the function executor: 1.16 s for
# the 300,000 projects of tier M against 0.11 s inlined, in the funnel, the ageing and the warnings evaluation,
# which rank every project's stages. Without STRICT the answers are the same (a null stage has no position) and
# the planner writes the body in place. Frozen text (tests/test_migrations_frozen.py).
INLINED_SQL = r"""
CREATE OR REPLACE FUNCTION projects_stage_rank(stage text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_position(
        ARRAY['conceived', 'negotiating', 'signed', 'landed', 'construction_started', 'in_production', 'at_capacity'],
        stage
    )
$$;
"""

STRICT_SQL = r"""
CREATE OR REPLACE FUNCTION projects_stage_rank(stage text) RETURNS int
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT array_position(
        ARRAY['conceived', 'negotiating', 'signed', 'landed', 'construction_started', 'in_production', 'at_capacity'],
        stage
    )
$$;
"""


class Migration(migrations.Migration):
    """A project stage's rank, as a function PostgreSQL can inline."""

    dependencies = [("projects", "0020_summary_rollup")]

    operations = [migrations.RunSQL(INLINED_SQL, STRICT_SQL)]
