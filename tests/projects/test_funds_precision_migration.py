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


def migrate_to(*targets: tuple[str, str]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    return MigrationExecutor(connection)  # a fresh graph, as the next `migrate` would read it


def migrate_everything() -> None:
    """Forward to every app's last migration: going back to BEFORE also unapplied what depends on it (later
    migrations of projects, and apps whose migrations depend on those), which the tests after this one need."""
    migrate_to(*MigrationExecutor(connection).loader.graph.leaf_nodes())


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
        migrate_everything()
    funds = FundsInPlace.objects.get(project=project)
    assert (funds.as_of, funds.as_of_precision, funds.amount) == (
        dt.date(2024, 3, 31),
        "day",
        Decimal("300000000.00"),
    )
    assert str(funds).endswith(" by 2024-03-31")
