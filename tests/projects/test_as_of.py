"""`?as_of=` (issue 22, item 4): lists, details and summaries as the service knew them at a past moment,
rebuilt from the change history (api.asof, core.asof)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from api.asof import SCHEMA
from core.asof import tracked_tables
from projects.models import Project
from tests.contract import client_for, error_of, staff_user
from tests.factories import CountyFactory, ProjectFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects/"
SUMMARY = "/api/v1/projects/summary/"


def moment() -> str:
    """Now, as a client would send it; the history's clock moves on before the next change."""
    return timezone.now().isoformat()


def get(url: str, **params) -> dict:
    response = client_for().get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_an_amount_changed_later_shows_its_old_value_and_the_old_totals():
    county = CountyFactory()
    project = ProjectFactory(region=county, planned_investment=Decimal("100000000.00"))
    before = moment()
    Project.objects.filter(pk=project.pk).update(planned_investment=Decimal("250000000.00"))

    assert get(f"{LIST}{project.pk}/", as_of=before)["planned_investment"] == "100000000.00"
    assert get(f"{LIST}{project.pk}/")["planned_investment"] == "250000000.00"
    old = get(SUMMARY, group_by="status", region=county.code, as_of=before)["totals"]
    new = get(SUMMARY, group_by="status", region=county.code)["totals"]
    assert (old["project_count"], old["total_investment"]) == (1, "100000000.00")
    assert (new["project_count"], new["total_investment"]) == (1, "250000000.00")
    listed = get(LIST, region=county.code, as_of=before)["results"]
    assert [row["planned_investment"] for row in listed] == ["100000000.00"]


def test_a_project_created_later_is_absent_and_one_deleted_later_is_present():
    county = CountyFactory()
    kept = ProjectFactory(region=county, name="Kept")
    gone = ProjectFactory(region=county, name="Deleted later")
    before = moment()
    ProjectFactory(region=county, name="Created later")
    gone_key = gone.pk
    gone.delete()

    names = [row["name"] for row in get(LIST, region=county.code, as_of=before)["results"]]
    assert sorted(names) == sorted([kept.name, gone.name])
    assert get(f"{LIST}{gone_key}/", as_of=before)["name"] == "Deleted later"
    assert client_for().get(f"{LIST}{gone_key}/").status_code == 404


def test_the_detail_carries_the_version_it_had_then():
    project = ProjectFactory()
    before = moment()
    Project.objects.filter(pk=project.pk).update(name="Renamed")
    response = client_for().get(f"{LIST}{project.pk}/", {"as_of": before})
    assert response.status_code == 200
    assert response.json()["name"] == project.name
    assert response["ETag"] == f'"{project.version}"'


def test_a_project_moved_later_is_found_under_the_region_it_was_in():
    first, second = CountyFactory(), CountyFactory()
    project = ProjectFactory(region=first)
    before = moment()
    project.region = second
    project.save()

    assert [row["id"] for row in get(LIST, region=first.code, as_of=before)["results"]] == [project.pk]
    assert get(LIST, region=second.code, as_of=before)["results"] == []
    assert [row["id"] for row in get(LIST, region=second.code)["results"]] == [project.pk]


def test_a_date_means_the_end_of_that_day():
    project = ProjectFactory(planned_investment=Decimal("1.00"))
    today = timezone.localdate().isoformat()
    assert get(f"{LIST}{project.pk}/", as_of=today)["planned_investment"] == "1.00"
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client_for().get(f"{LIST}{project.pk}/", {"as_of": yesterday}).status_code == 404


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2025-13-01",
        "2025-02-30T00:00:00",
        "",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31",
        timezone.localdate() + dt.timedelta(days=1),
    ],
)
def test_a_moment_that_is_no_date_or_lies_ahead_is_refused(value):
    response = client_for().get(LIST, {"as_of": str(value)})
    assert response.status_code == 400
    assert "as_of" in error_of(response)["fields"]


def test_a_time_ahead_of_now_is_refused():
    ahead = (timezone.now() + dt.timedelta(minutes=5)).isoformat()
    assert client_for().get(LIST, {"as_of": ahead}).status_code == 400


def test_only_reads_in_json_are_answered_as_of_a_past_moment():
    project = ProjectFactory()
    staff = client_for(staff_user(Project, "change"))
    response = staff.patch(
        f"{LIST}{project.pk}/?as_of={timezone.localdate()}", {"name": "x"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 400
    assert "as_of" in error_of(response)["fields"]
    assert Project.objects.get(pk=project.pk).name == project.name
    csv = client_for().get(LIST, {"as_of": timezone.localdate().isoformat(), "format": "csv"})
    assert csv.status_code == 400
    assert csv["Content-Type"].startswith("application/json")


def test_the_past_ends_with_the_request():
    project = ProjectFactory()
    before = moment()
    Project.objects.filter(pk=project.pk).update(name="Renamed")
    get(f"{LIST}{project.pk}/", as_of=before)
    assert get(f"{LIST}{project.pk}/")["name"] == "Renamed"
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert SCHEMA not in cursor.fetchone()[0]


def test_every_table_with_history_has_a_past_view_with_its_columns_in_order():
    """The views are made after each migrate from the models as they are: a new field needs no step."""
    with connection.cursor() as cursor:
        for model, _event_model in tracked_tables():
            table = model._meta.db_table
            cursor.execute(
                "SELECT table_schema, array_agg(column_name::text ORDER BY ordinal_position) "
                "FROM information_schema.columns WHERE table_name = %s AND table_schema IN ('public', %s) "
                "GROUP BY table_schema",
                [table, SCHEMA],
            )
            columns = dict(cursor.fetchall())
            assert SCHEMA in columns, table
            assert columns[SCHEMA] == [field.column for field in model._meta.concrete_fields], table
            assert sorted(columns[SCHEMA]) == sorted(columns["public"]), table


def test_stage_ageing_as_of_a_past_moment_counts_the_stages_projects_were_in_then():
    county = CountyFactory()
    project = ProjectFactory(region=county, stage=Project.Stage.SIGNED)
    before = moment()
    Project.objects.filter(pk=project.pk).update(stage=Project.Stage.CONSTRUCTION_STARTED)

    def counts(**params) -> dict[str, int]:
        answer = get("/api/v1/analytics/stage-ageing/", region=county.code, **params)
        return {row["stage"]: row["project_count"] for row in answer["rows"] if row["project_count"]}

    assert counts(as_of=before) == {"signed": 1}
    assert counts() == {"construction_started": 1}
    history = get(f"/api/v1/projects/{project.pk}/stage-history/", as_of=before)
    assert history["stage"] == "signed"
