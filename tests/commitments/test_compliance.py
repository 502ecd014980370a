"""Whether a commitment was kept, per period, is derived when it is read (issue 23, item 1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commitments.models import Commitment
from commitments.selectors import compliance
from tests.contract import client_for, error_of
from tests.factories import (
    CityFactory,
    CommitmentFactory,
    CommitmentObservationFactory,
    CountyFactory,
    MilestoneFactory,
    ProjectFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

COMPLIANCE = "/api/v1/compliance/"
THIS_YEAR = dt.date.today().year


def verdicts(commitment) -> dict[str | None, str]:
    return {row.period: row.status for row in compliance().filter(commitment=commitment)}


def listed(**params) -> list[dict]:
    response = client_for().get(COMPLIANCE, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_1200_wan_of_tax_on_50_mu_is_24_wan_per_mu_and_breaches_a_promise_of_at_least_30():
    commitment = CommitmentFactory(land_area=Decimal("50"), target=Decimal("30"), due_on=dt.date(2024, 1, 1))
    CommitmentObservationFactory(commitment=commitment, period="2024", value=Decimal("1200"), unit="wan_yuan")

    (row,) = [row for row in listed(project=commitment.project.slug) if row["period"] == "2024"]

    assert row["status"] == "breach"
    assert row["actual"] == "24.0000"
    assert row["observed_value"] == "1200.0000"
    assert row["observed_unit"] == "wan_yuan"
    assert row["commitment"]["target"] == "30.0000"


def test_the_same_tax_before_the_commitment_is_due_is_not_yet_due():
    commitment = CommitmentFactory(due_on=dt.date(2025, 1, 1))
    CommitmentObservationFactory(commitment=commitment, period="2024", value=Decimal("1200"), unit="wan_yuan")

    assert verdicts(commitment)["2024"] == "not_yet_due"


def test_a_period_that_starts_before_a_mid_year_due_date_is_not_yet_judged():
    commitment = CommitmentFactory(due_on=dt.date(2024, 7, 1))
    CommitmentObservationFactory(commitment=commitment, period="2024", value=Decimal("1200"))
    CommitmentObservationFactory(commitment=commitment, period="2025", value=Decimal("1600"))

    assert verdicts(commitment) == {"2024": "not_yet_due", "2025": "met"} | {
        str(year): "pending" for year in range(2026, THIS_YEAR)
    }


def test_enough_tax_per_mu_meets_the_promise_and_an_actual_may_be_given_per_mu():
    commitment = CommitmentFactory(due_on=dt.date(2024, 1, 1))
    CommitmentObservationFactory(commitment=commitment, period="2024", value=Decimal("1500"), unit="wan_yuan")
    CommitmentObservationFactory(
        commitment=commitment, period="2025", value=Decimal("29.99"), unit="wan_yuan_per_mu_year"
    )

    found = verdicts(commitment)

    assert (found["2024"], found["2025"]) == ("met", "breach")


def test_a_full_year_since_the_due_date_without_a_value_is_pending():
    commitment = CommitmentFactory(due_on=dt.date(THIS_YEAR - 2, 1, 1))
    CommitmentObservationFactory(commitment=commitment, period=str(THIS_YEAR - 2), value=Decimal("1500"))

    assert verdicts(commitment) == {str(THIS_YEAR - 2): "met", str(THIS_YEAR - 1): "pending"}


def test_a_commitment_due_later_with_nothing_reported_is_one_row_not_yet_due():
    commitment = CommitmentFactory(due_on=dt.date(THIS_YEAR + 1, 1, 1))

    assert verdicts(commitment) == {None: "not_yet_due"}


@pytest.mark.parametrize(
    ("comparator", "target", "value", "status"),
    [
        ("at_most", "0.80", "0.75", "met"),
        ("at_most", "0.80", "0.81", "breach"),
        ("equal", "1.20", "1.20", "met"),
        ("equal", "1.20", "1.10", "breach"),
    ],
)
def test_at_most_and_exactly_compare_as_they_say(comparator, target, value, status):
    commitment = CommitmentFactory(
        kind="floor_area_ratio", comparator=comparator, target=Decimal(target), unit="ratio", land_area=None
    )
    CommitmentObservationFactory(commitment=commitment, period="2024-Q2", value=Decimal(value), unit="ratio")

    assert verdicts(commitment)["2024-Q2"] == status


def test_an_offset_due_date_counts_from_the_project_s_actual_milestone():
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="in_production", date=dt.date(2023, 9, 1), is_planned=False)
    commitment = CommitmentFactory(
        project=project, due_on=None, due_offset_months=4, due_milestone="in_production"
    )  # due 2024-01-01
    CommitmentObservationFactory(commitment=commitment, period="2023", value=Decimal("2000"))
    CommitmentObservationFactory(commitment=commitment, period="2024", value=Decimal("1000"))

    found = verdicts(commitment)

    assert (found["2023"], found["2024"]) == ("not_yet_due", "breach")
    assert compliance().filter(commitment=commitment).first().due_on == dt.date(2024, 1, 1)


def test_an_offset_from_a_milestone_that_has_not_happened_is_not_yet_due():
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="in_production", date=dt.date(2020, 1, 1), is_planned=True)
    commitment = CommitmentFactory(project=project, due_on=None, due_offset_months=12, due_milestone="in_production")
    CommitmentObservationFactory(commitment=commitment, period="2024", value=Decimal("100"))

    assert verdicts(commitment) == {"2024": "not_yet_due"}


def dated(project, kind: str, due: dt.date) -> Commitment:
    return CommitmentFactory(
        project=project, kind=kind, comparator="by_date", target=None, unit="", land_area=None, due_on=due
    )


def test_a_date_is_kept_by_an_actual_milestone_of_its_stage_or_a_later_one_on_time():
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="in_production", date=dt.date(2024, 5, 1), is_planned=False)
    start = dated(project, "start_by", dt.date(2024, 6, 30))
    produce = dated(project, "produce_by", dt.date(2024, 3, 31))
    later = dated(ProjectFactory(), "complete_by", dt.date(THIS_YEAR + 2, 1, 1))

    assert verdicts(start) == {None: "met"}
    assert verdicts(produce) == {None: "breach"}  # late
    assert verdicts(later) == {None: "not_yet_due"}
    (row,) = listed(project=project.slug, kind="start_by")
    assert row["reached_on"] == "2024-05-01"


def test_a_date_passed_without_the_milestone_is_a_breach():
    commitment = dated(ProjectFactory(), "start_by", dt.date(2020, 1, 1))

    assert verdicts(commitment) == {None: "breach"}


def breach_world():
    lishui = CityFactory()
    longquan = CountyFactory(parent=lishui)
    elsewhere = CountyFactory()
    tax = CommitmentFactory(project=ProjectFactory(region=longquan), due_on=dt.date(2024, 1, 1))
    CommitmentObservationFactory(commitment=tax, period="2024", value=Decimal("1200"))
    jobs = CommitmentFactory(
        project=ProjectFactory(region=elsewhere),
        kind="jobs",
        target=Decimal("300"),
        unit="persons",
        land_area=None,
        due_on=dt.date(2024, 1, 1),
    )
    CommitmentObservationFactory(commitment=jobs, period="2024-Q4", value=Decimal("120"), unit="persons")
    CommitmentObservationFactory(commitment=jobs, period="2025-Q4", value=Decimal("320"), unit="persons")
    return lishui, tax, jobs


def test_the_compliance_list_filters_by_status_kind_region_subtree_and_period():
    lishui, tax, jobs = breach_world()

    breaches = listed(status="breach")
    assert {(row["commitment"]["id"], row["period"]) for row in breaches} == {(tax.pk, "2024"), (jobs.pk, "2024-Q4")}
    assert {row["commitment"]["id"] for row in listed(status="breach", kind="jobs")} == {jobs.pk}
    assert {row["commitment"]["id"] for row in listed(status="breach", region=lishui.code)} == {tax.pk}
    assert [row["period"] for row in listed(status="breach", period="2024-Q4")] == ["2024-Q4"]
    assert {row["period"] for row in listed(kind="jobs", period="2025")} == {"2025-Q4"}
    assert {row["period"] for row in listed(kind="jobs", period_from="2025", period_to="2025")} == {"2025-Q4"}
    assert {row["status"] for row in listed(status=["met", "breach"], kind="jobs")} == {"met", "breach"}


def test_the_compliance_list_refuses_what_it_cannot_read():
    client = client_for()

    responses = {
        "status": client.get(COMPLIANCE, {"status": "late"}),
        "region": client.get(COMPLIANCE, {"region": "999999"}),
        "period": client.get(COMPLIANCE, {"period": "2024-H1"}),
        "statuss": client.get(COMPLIANCE, {"statuss": "breach"}),
    }

    for name, response in responses.items():
        assert response.status_code == 400, name
        assert name in error_of(response)["fields"], name


def test_the_compliance_list_is_read_only():
    breach_world()
    client = client_for()
    client.force_login(StaffUserFactory(is_superuser=True))

    assert client.post(COMPLIANCE, {}, format="json").status_code == 405


def test_the_compliance_list_comes_as_csv_with_its_filters():
    breach_world()

    response = client_for().get(COMPLIANCE, {"status": "breach", "format": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,commitment.id,commitment.kind")
    assert len(lines) == 3


def test_the_compliance_list_is_of_now_only_and_refuses_as_of():
    """The verdicts are derived from today's date and data: no past of them is rebuilt, so `as_of` is refused,
    not ignored (an answer of now under a past date would be wrong without saying so)."""
    response = client_for().get(COMPLIANCE, {"as_of": "2024-12-31"})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["as_of"]
