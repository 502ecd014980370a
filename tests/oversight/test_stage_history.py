"""When each project entered each stage, and how long the projects have been where they are (issue 22, item 2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.models import Project
from tests.contract import client_for, error_of
from tests.factories import CountyFactory, MilestoneFactory, ProjectFactory
from tests.oversight.conftest import month_of, months_before

pytestmark = pytest.mark.django_db

AGEING = "/api/v1/analytics/stage-ageing/"


def history(project) -> dict:
    response = client_for().get(f"/api/v1/projects/{project.slug}/stage-history/")
    assert response.status_code == 200, response.content
    return response.json()


def test_milestones_give_the_dates_and_a_month_counts_from_its_last_day(today):
    project = ProjectFactory()
    signed = month_of(months_before(today, 3))
    landed = today - dt.timedelta(days=10)
    MilestoneFactory(project=project, stage="signed", date=signed, date_precision="month")
    MilestoneFactory(project=project, stage="landed", date=landed, date_precision="day")
    signed_end = month_of(months_before(today, 2)) - dt.timedelta(days=1)

    answer = history(project)

    assert (answer["stage"], answer["entered_on"], answer["days_in_stage"]) == ("landed", landed.isoformat(), 10)
    entries = [(e["stage"], e["entered_on"], e["entered_on_precision"], e["source"]) for e in answer["entries"]]
    assert entries[-2:] == [
        ("signed", signed.isoformat(), "month", "milestone"),
        ("landed", landed.isoformat(), "day", "milestone"),
    ]
    assert answer["entries"][-2]["days_in_stage"] == (landed - signed_end).days


def test_a_stage_without_a_milestone_is_dated_by_its_recorded_change(today):
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="signed", date=today - dt.timedelta(days=30))
    project.refresh_from_db()
    project.stage, project.stage_reason = Project.Stage.ON_HOLD, "The land is not ready."
    project.save()

    answer = history(project)

    assert answer["stage"] == "on_hold"
    assert answer["entries"][-1] == {
        "stage": "on_hold",
        "entered_on": timezone.localdate().isoformat(),
        "entered_on_precision": "day",
        "source": "history",
        "days_in_stage": 0,
    }
    assert ("signed", 30) in [(e["stage"], e["days_in_stage"]) for e in answer["entries"]]


def test_an_unknown_project_is_a_404():
    response = client_for().get("/api/v1/projects/no-such-project/stage-history/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_the_ageing_gives_count_median_and_percentiles_per_stage_with_the_list_s_filters(today):
    county = CountyFactory()
    for days in (10, 20, 40):  # three projects signed 10, 20 and 40 days ago, in the county
        project = ProjectFactory(region=county)
        MilestoneFactory(project=project, stage="signed", date=today - dt.timedelta(days=days))
    landed = ProjectFactory(region=county)
    MilestoneFactory(project=landed, stage="landed", date=today - dt.timedelta(days=5))
    MilestoneFactory(project=ProjectFactory(), stage="signed", date=today - dt.timedelta(days=900))  # elsewhere

    response = client_for().get(AGEING, {"region": county.code})

    assert response.status_code == 200, response.content
    rows = {row["stage"]: row for row in response.json()["rows"]}
    signed = rows["signed"]
    # Sorted 10, 20, 40: the median is 20; the 75th percentile lies halfway from 20 to 40, the 90th at 4/5.
    assert (signed["project_count"], signed["median_days"], signed["p75_days"], signed["p90_days"]) == (
        3, "20.0", "30.0", "36.0",
    )  # fmt: skip
    assert signed["max_days"] == 40
    assert (rows["landed"]["project_count"], rows["landed"]["median_days"]) == (1, "5.0")
    assert (rows["conceived"]["project_count"], rows["conceived"]["median_days"]) == (0, None)
    totals = response.json()["totals"]
    assert (totals["project_count"], Decimal(totals["median_days"])) == (4, Decimal("15.0"))


def test_the_ageing_refuses_a_parameter_it_does_not_read():
    response = client_for().get(AGEING, {"regoin": "331181"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["regoin"]


def test_an_error_is_json_even_when_csv_was_asked_for():
    ageing = client_for().get(AGEING, {"format": "csv", "programme": "no-such-programme"})
    history = client_for().get("/api/v1/projects/no-such-project/stage-history/", {"format": "csv"})

    assert (ageing.status_code, history.status_code) == (400, 404)
    assert ageing["Content-Type"].startswith("application/json")
    assert history["Content-Type"].startswith("application/json")


def test_the_ageing_and_a_stage_history_come_as_csv_too(today):
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="signed", date=today - dt.timedelta(days=3))

    ageing = client_for().get(AGEING, {"format": "csv"})
    history = client_for().get(f"/api/v1/projects/{project.slug}/stage-history/", {"format": "csv"})

    assert ageing["Content-Type"].startswith("text/csv")
    lines = ageing.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("stage,label,project_count")
    assert len(lines) == 1 + 9 + 1  # the header, a row per stage, the totals
    assert history["Content-Type"].startswith("text/csv")


@pytest.mark.django_db(
    transaction=True
)  # committed writes, as two requests see them (tests/projects/test_summary_fresh.py)
def test_the_ageing_is_kept_until_the_next_write_and_then_computed_afresh(today, django_assert_max_num_queries):
    county = CountyFactory()
    project = ProjectFactory(region=county, stage="signed")
    MilestoneFactory(project=project, stage="signed", date=today - dt.timedelta(days=10))

    def signed_count() -> int:
        response = client_for().get(AGEING, {"region": county.code})
        assert response.status_code == 200, response.content
        return {row["stage"]: row for row in response.json()["rows"]}["signed"]["project_count"]

    assert signed_count() == 1
    with django_assert_max_num_queries(2):  # the throttle's count and the cache's lookup, nothing computed
        assert signed_count() == 1
    MilestoneFactory(project=ProjectFactory(region=county, stage="signed"), stage="signed", date=today)
    assert signed_count() == 2  # fresh after the write
