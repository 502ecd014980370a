"""A stage's rank (projects_stage_rank, projects/migrations/0002 and 0021): the funnel, the ageing and the warnings
rank every project's stages, so PostgreSQL must write the function's body in place rather than call it per row."""

from __future__ import annotations

import pytest
from django.db import connection

from projects.models import STAGE_RANK

pytestmark = pytest.mark.django_db


def test_the_rank_is_the_stage_s_place_in_the_funnel_and_null_off_it():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s, projects_stage_rank(s) FROM unnest(%s::text[]) AS s",
            [[*STAGE_RANK, "on_hold", "cancelled", None]],
        )
        ranks = dict(cursor.fetchall())

    assert ranks == {**STAGE_RANK, "on_hold": None, "cancelled": None, None: None}


def test_the_planner_inlines_the_rank():
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (VERBOSE, COSTS OFF) SELECT projects_stage_rank(stage) FROM projects_project")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "array_position" in plan
    assert "projects_stage_rank" not in plan
