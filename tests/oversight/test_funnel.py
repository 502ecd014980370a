"""Conversion by cohort (issue 22, item 3): the funnel's counts, amounts and rates, worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.choices import DatePrecision, Qualifier
from oversight.models import SigningEventProject
from projects.models import Milestone, Project
from tests.contract import client_for, error_of
from tests.factories import (
    CityFactory,
    CountyFactory,
    FundsInPlaceFactory,
    MilestoneFactory,
    ProjectFactory,
    SigningEventFactory,
)

pytestmark = pytest.mark.django_db

FUNNEL = "/api/v1/analytics/funnel/"


def funnel(**query) -> dict:
    response = client_for().get(FUNNEL, query)
    assert response.status_code == 200, response.content
    return response.json()


def by_key(answer: dict) -> dict:
    return {row["key"]: row for row in answer["rows"]}


def project_with(region, *milestones: tuple[str, dt.date, str], **fields) -> Project:
    """A project of `region` with actual milestones (stage, date, precision)."""
    project = ProjectFactory(region=region, **fields)
    for stage, date, precision in milestones:
        MilestoneFactory(project=project, stage=stage, date=date, date_precision=precision)
    project.refresh_from_db()
    return project


def test_gansu_s_907_started_of_1093_signed_at_one_event_is_a_start_rate_of_0_8298():
    """Of the 1,093 projects signed at the event on 20 May 2024, 907 started (on 20 August: 92 days later), 7 of
    which were cancelled afterwards; 100 of the others landed. By hand: performing = 907 + 100 - 7 = 1,000."""
    city = CityFactory()
    event = SigningEventFactory(region=city, name="Gansu investment signing", date=dt.date(2024, 5, 20))
    projects = Project.objects.bulk_create(
        Project(
            name=f"Signed project {n}",
            slug=f"signed-project-{n}",
            region=city,
            planned_investment=Decimal("1000000.00"),
            investment_qualifier=Qualifier.EXACT,
            **({"stage": Project.Stage.CANCELLED, "stage_reason": "The investor withdrew."} if n < 7 else {}),
        )
        for n in range(1093)
    )
    SigningEventProject.objects.bulk_create(SigningEventProject(event=event, project=p) for p in projects)
    Milestone.objects.bulk_create(
        [Milestone(project=p, stage="construction_started", date=dt.date(2024, 8, 20)) for p in projects[:907]]
        + [Milestone(project=p, stage="landed", date=dt.date(2024, 7, 1)) for p in projects[907:1007]]
    )

    answer = funnel(cohort="signing_event")

    [row] = answer["rows"]
    assert (row["key"], row["label"]) == (str(event.pk), "Gansu investment signing (2024-05-20)")
    counts = [row[name] for name in ("signed", "landed", "started", "performing", "cancelled", "on_hold")]
    assert counts == [1093, 1007, 907, 1000, 7, 0]
    assert row["start_rate"] == "0.8298"  # 907 / 1,093 = 0.82983
    assert row["performance_rate"] == "0.9149"  # 1,000 / 1,093 = 0.91491: the cancelled stay in the denominator
    assert row["days_signed_to_started"] == {"projects": 907, "p50": "92.0", "p75": "92.0"}
    conversion = {pair: (c["reached_from"], c["reached_to"], c["rate"]) for pair, c in row["conversion"].items()}
    assert conversion == {
        "signed_to_landed": (1093, 1007, "0.9213"),
        "landed_to_construction_started": (1007, 907, "0.9007"),
        "construction_started_to_in_production": (907, 0, "0.0000"),
        "in_production_to_at_capacity": (0, 0, None),
    }
    assert answer["totals"]["start_rate"] == "0.8298"
    assert by_key(funnel(cohort="signed_year"))["2024"]["signed"] == 1093  # the event's day dates the signing


@pytest.fixture
def county():
    """In a county, by hand:

    - P1 signed 10 March 2023, started 8 June 2023 (90 days), 100 million agreed, 40 million in place;
    - P2 signed May 2023 (counted from 31 May), started 30 July 2023 (60 days), "more than" 200 million agreed,
      50 then 60 million in place;
    - P3 signed 2 November 2023, then cancelled, 300 million agreed;
    - P4 signed 1 February 2024, on hold, no amount;
    - P7 landed 1 September 2023 with no signing recorded: signed, date unknown;
    - and, not counted, a project only negotiating and one signed in another county.
    """
    county = CountyFactory()
    day, month = DatePrecision.DAY, DatePrecision.MONTH
    p1 = project_with(
        county,
        ("signed", dt.date(2023, 3, 10), day),
        ("construction_started", dt.date(2023, 6, 8), day),
        planned_investment=Decimal("100000000.00"),
    )
    FundsInPlaceFactory(project=p1, as_of=dt.date(2023, 9, 1), amount=Decimal("40000000.00"))
    p2 = project_with(
        county,
        ("signed", dt.date(2023, 5, 1), month),
        ("construction_started", dt.date(2023, 7, 30), day),
        planned_investment=Decimal("200000000.00"),
        investment_qualifier=Qualifier.MORE_THAN,
    )
    FundsInPlaceFactory(project=p2, as_of=dt.date(2023, 8, 1), amount=Decimal("50000000.00"))
    FundsInPlaceFactory(project=p2, as_of=dt.date(2023, 12, 1), amount=Decimal("60000000.00"))
    project_with(
        county,
        ("signed", dt.date(2023, 11, 2), day),
        planned_investment=Decimal("300000000.00"),
        stage=Project.Stage.CANCELLED,
        stage_reason="The land was not granted.",
    )
    project_with(
        county,
        ("signed", dt.date(2024, 2, 1), day),
        planned_investment=None,
        investment_qualifier="",
        stage=Project.Stage.ON_HOLD,
        stage_reason="Waiting for the environmental review.",
    )
    project_with(county, ("landed", dt.date(2023, 9, 1), day))
    project_with(county, ("negotiating", dt.date(2023, 4, 1), day))
    project_with(CountyFactory(), ("signed", dt.date(2023, 1, 1), day))
    return county


def test_a_year_s_cohort_counts_its_signed_projects_once_with_the_cancelled_in_the_denominator(county):
    rows = by_key(funnel(cohort="signed_year", region=county.code))

    assert list(rows) == ["2023", "2024", None]
    cohort = rows["2023"]
    assert [cohort[name] for name in ("signed", "performing", "started", "cancelled", "on_hold")] == [3, 2, 2, 1, 0]
    assert (cohort["start_rate"], cohort["performance_rate"]) == ("0.6667", "0.6667")  # 2 / 3


def test_the_agreed_investment_and_funds_in_place_add_up_with_a_more_than_flagged_as_a_bound(county):
    cohort = by_key(funnel(cohort="signed_year", region=county.code))["2023"]

    # 100 + more than 200 + 300 million agreed; 40 + 60 (P2's latest cumulative figure) million in place.
    assert (cohort["agreed_investment"], cohort["agreed_investment_includes_bounds"]) == ("600000000.00", True)
    assert (cohort["funds_in_place"], cohort["funds_in_place_includes_bounds"]) == ("100000000.00", False)
    assert cohort["funds_rate"] == "0.1667"  # 100 / 600
    assert cohort["currency"] == "CNY"


def test_days_from_signing_to_start_count_a_month_from_its_last_day(county):
    cohort = by_key(funnel(cohort="signed_year", region=county.code))["2023"]

    # 90 days (10 March to 8 June) and 60 days (31 May to 30 July): the median 75, the 75th percentile 82.5.
    assert cohort["days_signed_to_started"] == {"projects": 2, "p50": "75.0", "p75": "82.5"}


def test_a_rate_is_null_when_its_denominator_is_0(county):
    rows = by_key(funnel(cohort="signed_year", region=county.code))

    on_hold = rows["2024"]
    assert (on_hold["signed"], on_hold["on_hold"], on_hold["start_rate"]) == (1, 1, "0.0000")
    assert (on_hold["agreed_investment"], on_hold["funds_rate"], on_hold["projects_without_amount"]) == (
        "0.00", None, 1,
    )  # fmt: skip
    assert on_hold["days_signed_to_started"] == {"projects": 0, "p50": None, "p75": None}
    nothing = funnel(cohort="signed_year", region=CountyFactory().code)
    assert nothing["rows"] == []
    totals = nothing["totals"]
    assert (totals["signed"], totals["start_rate"], totals["performance_rate"], totals["funds_rate"]) == (
        0, None, None, None,
    )  # fmt: skip
    assert totals["days_signed_to_started"] == {"projects": 0, "p50": None, "p75": None}


def test_a_signed_project_without_a_signing_date_is_in_the_row_without_a_key_and_in_the_totals(county):
    answer = funnel(cohort="signed_year", region=county.code)

    unknown = by_key(answer)[None]
    assert (unknown["label"], unknown["signed"], unknown["landed"], unknown["performing"]) == (
        "signing date unknown", 1, 1, 1,
    )  # fmt: skip
    totals = answer["totals"]
    assert (totals["signed"], totals["started"], totals["performing"]) == (5, 2, 3)
    assert (totals["start_rate"], totals["performance_rate"]) == ("0.4000", "0.6000")


def test_quarters_are_the_quarters_of_the_signing_dates(county):
    rows = by_key(funnel(cohort="signed_quarter", region=county.code))

    assert {key: row["signed"] for key, row in rows.items()} == {
        "2023-Q1": 1, "2023-Q2": 1, "2023-Q4": 1, "2024-Q1": 1, None: 1,
    }  # fmt: skip


def test_a_year_precision_signing_falls_in_the_year_s_own_row_of_the_quarters():
    county = CountyFactory()
    project_with(county, ("signed", dt.date(2022, 1, 1), DatePrecision.YEAR))

    rows = by_key(funnel(cohort="signed_quarter", region=county.code))

    assert (rows["2022"]["signed"], rows["2022"]["label"]) == (1, "2022 (quarter unknown)")


def test_stages_reached_are_read_from_the_history_not_the_current_stage():
    county = CountyFactory()
    started = project_with(
        county,
        ("signed", dt.date(2023, 1, 10), DatePrecision.DAY),
        ("construction_started", dt.date(2023, 4, 10), DatePrecision.DAY),
    )
    started.stage, started.stage_reason = Project.Stage.CANCELLED, "The investor went bankrupt."
    started.save()
    landed = ProjectFactory(region=county)
    landed.stage = Project.Stage.LANDED  # no milestone: the recorded change of stage says it landed
    landed.save()
    landed.stage, landed.stage_reason = Project.Stage.ON_HOLD, "Waiting for the land."
    landed.save()

    totals = funnel(cohort="signed_year", region=county.code)["totals"]

    counts = ("signed", "landed", "started", "performing", "cancelled", "on_hold")
    assert [totals[name] for name in counts] == [2, 2, 1, 0, 1, 1]
    assert totals["conversion"]["landed_to_construction_started"] == {
        "reached_from": 2, "reached_to": 1, "rate": "0.5000",
    }  # fmt: skip


def test_the_signing_event_cohorts_put_the_projects_signed_elsewhere_in_a_row_of_their_own():
    city = CityFactory()
    spring, autumn = (
        SigningEventFactory(region=city, name="Spring signing", date=dt.date(2024, 4, 18)),
        SigningEventFactory(region=city, name="Autumn signing", date=dt.date(2024, 10, 9)),
    )
    for event, count in ((autumn, 2), (spring, 1)):
        for _n in range(count):
            SigningEventProject.objects.create(event=event, project=ProjectFactory(region=city))
    project_with(city, ("signed", dt.date(2024, 6, 1), DatePrecision.DAY))

    rows = funnel(cohort="signing_event", region=city.code)["rows"]

    assert [(row["key"], row["label"], row["signed"]) for row in rows] == [
        (str(spring.pk), "Spring signing (2024-04-18)", 1),
        (str(autumn.pk), "Autumn signing (2024-10-09)", 2),
        (None, "not signed at a signing event", 1),
    ]


def test_the_filters_are_the_project_list_s_a_region_takes_its_subtree():
    city = CityFactory()
    inside, outside = CountyFactory(parent=city), CountyFactory()
    for region in (city, inside, outside):
        project_with(region, ("signed", dt.date(2024, 3, 1), DatePrecision.DAY))

    assert funnel(cohort="signed_year", region=city.code)["totals"]["signed"] == 2
    assert funnel(cohort="signed_year", region=inside.code)["totals"]["signed"] == 1
    assert funnel(cohort="signed_year", stage="signed", region=outside.code)["totals"]["signed"] == 1


def test_programmes_are_not_counted_only_projects():
    county = CountyFactory()
    project_with(county, ("signed", dt.date(2024, 3, 1), DatePrecision.DAY), kind=Project.Kind.PROGRAMME)

    assert funnel(cohort="signed_year", region=county.code)["totals"]["signed"] == 0


def test_an_unknown_parameter_a_missing_or_unknown_cohort_are_400s_in_json():
    unknown = client_for().get(FUNNEL, {"cohort": "signed_year", "regoin": "331181"})
    missing = client_for().get(FUNNEL)
    wrong = client_for().get(FUNNEL, {"cohort": "signed_month", "format": "csv"})

    assert (unknown.status_code, missing.status_code, wrong.status_code) == (400, 400, 400)
    assert list(error_of(unknown)["fields"]) == ["regoin"]
    assert list(error_of(missing)["fields"]) == ["cohort"]
    assert list(error_of(wrong)["fields"]) == ["cohort"]


def test_the_answer_costs_the_same_queries_for_1_and_for_6_cohorts():
    county = CountyFactory()

    def queries() -> int:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM projects_summarycache")  # computed each time, not kept (answer cache)
        with CaptureQueriesContext(connection) as captured:
            funnel(cohort="signed_year", region=county.code)
        return len(captured)

    project_with(county, ("signed", dt.date(2019, 3, 1), DatePrecision.DAY))
    one = queries()
    for year in range(2020, 2025):
        project_with(county, ("signed", dt.date(year, 3, 1), DatePrecision.DAY))
    assert len(funnel(cohort="signed_year", region=county.code)["rows"]) == 6
    assert queries() == one


def test_the_funnel_comes_as_csv_a_line_per_cohort_then_the_totals(county):
    response = client_for().get(FUNNEL, {"cohort": "signed_year", "region": county.code, "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("key,label,signed,performing")
    assert "conversion.signed_to_landed.rate" in lines[0]
    assert len(lines) == 1 + 3 + 1


@pytest.mark.django_db(
    transaction=True
)  # committed writes, as two requests see them (tests/projects/test_summary_fresh.py)
def test_the_funnel_is_kept_until_the_next_write_to_what_it_reads_and_as_of_reads_the_past(
    django_assert_max_num_queries,
):
    county = CountyFactory()
    project = project_with(county, ("signed", dt.date(2023, 3, 1), "day"), planned_investment=Decimal("100000000.00"))
    before = timezone.now().isoformat()

    def funds() -> str:
        return by_key(funnel(cohort="signed_year", region=county.code))["2023"]["funds_in_place"]

    assert funds() == "0.00"
    with django_assert_max_num_queries(2):  # the throttle's count and the cache's lookup
        assert funds() == "0.00"
    FundsInPlaceFactory(project=project, amount=Decimal("40000000.00"), as_of=dt.date(2024, 1, 1))
    assert funds() == "40000000.00"  # a write to the funds in place: computed afresh
    past = funnel(cohort="signed_year", region=county.code, as_of=before)
    assert by_key(past)["2023"]["funds_in_place"] == "0.00"
