"""Figures moved from the projects app to their own without a change to the database (issue 19): the tables, the
history triggers under the Postgres ids pgtrigger first gave them, and the content types the grants point to."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pgtrigger
import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from figures.models import Figure
from tests.factories import FigureFactory

pytestmark = pytest.mark.django_db

# As projects/migrations/0006_history_clock_timestamp installed them, when Figure was projects.Figure.
TRIGGER_IDS = {
    "insert_insert": "pgtrigger_insert_insert_ae4a6",
    "update_update": "pgtrigger_update_update_2b21e",
    "delete_delete": "pgtrigger_delete_delete_483c5",
}

content_types_migration = importlib.import_module("figures.migrations.0002_move_content_types")


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


def test_a_figure_and_its_history_keep_the_tables_of_the_projects_app():
    assert Figure._meta.app_label == "figures"
    assert Figure._meta.db_table == "projects_figure"
    assert Figure.pgh_event_model._meta.label == "figures.FigureEvent"
    assert Figure.pgh_event_model._meta.db_table == "projects_figureevent"


def test_the_history_triggers_keep_their_postgres_ids_and_are_installed_as_the_model_compiles_them():
    triggers = {trigger.name: trigger for trigger in Figure._meta.triggers}
    assert {name: trigger.get_pgid(Figure) for name, trigger in triggers.items()} == TRIGGER_IDS
    for trigger in triggers.values():
        assert trigger.get_installation_status(Figure) == ("INSTALLED", True)
        assert pgtrigger.registry.registered(f"figures.Figure:{trigger.name}")
    assert not [row for row in pgtrigger.prunable() if row[1] in {"projects_figure", "projects_figureevent"}]


def test_a_change_to_a_figure_is_still_written_to_its_history():
    figure = FigureFactory()
    Figure.objects.filter(pk=figure.pk).update(label="export revenue")
    events = Figure.pgh_event_model.objects.filter(pgh_obj=figure).order_by("pgh_id")
    assert [(event.pgh_label, event.label) for event in events] == [("insert", ""), ("update", "export revenue")]


def move(source: str, target: str) -> None:
    """What figures/migrations/0002 does forwards (projects -> figures) or backwards."""
    editor = SimpleNamespace(connection=connection)
    content_types_migration.move_content_types(apps, editor, source=source, target=target)


def figure_content_type() -> ContentType:
    return ContentType.objects.get(model="figure", app_label__in=["projects", "figures"])


def test_the_content_types_move_with_their_permissions_and_grants():
    before = figure_content_type()
    permissions = set(Permission.objects.filter(content_type=before).values_list("pk", flat=True))
    group = Group.objects.create(name="Figure keepers")
    group.permissions.set(permissions)
    move("figures", "projects")  # the database as the projects app left it
    assert figure_content_type().app_label == "projects"

    move("projects", "figures")

    after = ContentType.objects.get_for_model(Figure)
    assert (after.pk, after.app_label) == (before.pk, "figures")
    assert ContentType.objects.get_for_model(Figure.pgh_event_model).app_label == "figures"
    assert not ContentType.objects.filter(app_label="projects", model__in=["figure", "figureevent"]).exists()
    assert set(group.permissions.values_list("pk", flat=True)) == permissions
    assert set(Permission.objects.filter(content_type=after).values_list("pk", flat=True)) == permissions


def test_a_content_type_already_made_for_the_figures_app_gives_way_to_the_old_one():
    old = figure_content_type()
    granted = Permission.objects.get(content_type=old, codename="change_figure")
    group = Group.objects.create(name="Figure keepers")
    group.permissions.add(granted)
    move("figures", "projects")
    # A migrate that stopped after figures/0001: its post_migrate made a content type of its own.
    intruder = ContentType.objects.create(app_label="figures", model="figure")
    Permission.objects.create(content_type=intruder, codename="change_figure", name="Can change figure")

    move("projects", "figures")

    assert ContentType.objects.get_for_model(Figure).pk == old.pk
    assert not ContentType.objects.filter(pk=intruder.pk).exists()
    assert list(group.permissions.all()) == [granted]
