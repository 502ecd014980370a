"""Every table a cached summary reads raises the data generation when it changes (projects/summary_cache.py):
a table declared there without its statement trigger would let a summary go stale."""

from __future__ import annotations

import pytest
from django.db import connection

from oversight.funnel import FUNNEL_TABLES
from projects.summary_cache import GENERATION_TABLES

pytestmark = pytest.mark.django_db


def test_every_table_a_summary_reads_has_its_generation_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = c.relname || '_data_generation' AND NOT t.tgisinternal"
        )
        triggered = {name for (name,) in cursor.fetchall()}

    declared = {*GENERATION_TABLES, *FUNNEL_TABLES}  # the summaries' and pages', and the funnel's
    assert declared <= triggered, declared - triggered
