"""Migration 0016 gives funds in place a date precision: the figures already recorded keep their day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from projects.models import FundsInPlace
from tests.factories import ProjectFactory

BEFORE = ("projects", "0015_project_search_document")
AFTER = ("projects", "0016_funds_date_precision")


def migrate_to(target: tuple[str, str]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection)  # a fresh graph, as the next `migrate` would read it


@pytest.mark.django_db(transaction=True)
def test_funds_in_place_recorded_before_the_migration_keep_their_day():
    project = ProjectFactory()
    executor = migrate_to(BEFORE)
    try:
        old_funds = executor.loader.project_state([BEFORE]).apps.get_model("projects", "FundsInPlace")
        old_funds.objects.create(
            project_id=project.pk, as_of=dt.date(2024, 3, 31), amount=Decimal("300000000.00"), currency="CNY"
        )
    finally:
        migrate_to(AFTER)
    funds = FundsInPlace.objects.get(project=project)
    assert (funds.as_of, funds.as_of_precision, funds.amount) == (
        dt.date(2024, 3, 31),
        "day",
        Decimal("300000000.00"),
    )
    assert str(funds).endswith(" by 2024-03-31")
