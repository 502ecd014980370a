"""Totals that match the source (issue 10, item 10): a programme whose total the source states exactly counts that
total instead of its projects' amounts, in summaries, on the dashboard and through the list's `counts_in_totals`,
so that a client adding up the rows it lists gets the summary's figure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projects.models import Project
from tests.contract import client_for
from tests.factories import ProjectFactory, RegionFactory

pytestmark = pytest.mark.django_db

PROGRAMME = "baiqiao-beautiful-healthy-projects"
COMPONENTS = ["baiqiao-beautiful-healthy-project-1", "baiqiao-beautiful-healthy-project-2"]


def listed(query: str = "") -> dict[str, dict]:
    response = client_for().get(f"/api/v1/projects/?page_size=500&{query}")
    assert response.status_code == 200, response.json()
    return {row["slug"]: row for row in response.json()["results"]}


def summary_total(query: str) -> dict:
    response = client_for().get(f"/api/v1/projects/summary/?group_by=status&{query}")
    assert response.status_code == 200, response.json()
    return response.json()["totals"]


def own_sum(rows: dict[str, dict]) -> Decimal:
    """What a client adds up: the CNY amounts of the rows that say they count."""
    return sum(
        (
            Decimal(row["planned_investment"])
            for row in rows.values()
            if row["counts_in_totals"] and row["planned_investment"] and row["currency"] == "CNY"
        ),
        Decimal("0.00"),
    )


@pytest.mark.usefixtures("article")
def test_the_baiqiao_programme_counts_its_stated_total_and_its_two_projects_their_place_only() -> None:
    rows = listed("region=331102")
    assert rows[PROGRAMME]["planned_investment"] == "2950000000.00"
    assert rows[PROGRAMME]["counts_in_totals"] is True
    assert [rows[slug]["counts_in_totals"] for slug in COMPONENTS] == [False, False]
    assert own_sum(rows) == Decimal("2950000000.00")


@pytest.mark.usefixtures("article")
def test_a_programme_without_a_stated_amount_leaves_the_counting_to_its_projects() -> None:
    rows = listed("kind=programme")
    assert rows["qingtian-metaverse-cluster"]["counts_in_totals"] is False
    assert listed("search=Kolen")["kelun-longquan-high-end-preparation-health-food"]["counts_in_totals"] is True


@pytest.mark.usefixtures("article")
def test_liandu_on_the_dashboards_summary_reads_2_95_billion_exactly() -> None:
    response = client_for().get("/api/v1/projects/summary/?group_by=region&region=331100")
    liandu = next(row for row in response.json()["rows"] if row["key"] == "331102")
    assert (liandu["total_investment"], liandu["includes_bounds"]) == ("2950000000.00", False)


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize(
    "query",
    [
        "",
        "region=331100",
        "region=331102",
        "region=331102-BQ",
        "stage=signed",
        "kind=programme",
        "kind=project",
        f"programme={PROGRAMME}",
        "industry=CHAIN-BEAUTY-HEALTH",
        "search=Baiqiao",
        "min_investment=1500000000",
    ],
)
def test_a_clients_own_sum_of_the_counted_rows_equals_the_summary(query: str) -> None:
    assert own_sum(listed(query)) == Decimal(summary_total(query)["total_investment"])


def test_a_programme_stated_as_a_bound_does_not_replace_its_projects_amounts() -> None:
    region = RegionFactory()
    programme = ProjectFactory(
        region=region, kind="programme", planned_investment=Decimal("500000000.00"), investment_qualifier="more_than"
    )
    for amount in ("200000000.00", "250000000.00"):
        ProjectFactory(
            region=region, programme=programme, planned_investment=Decimal(amount), investment_qualifier="exact"
        )

    rows = listed(f"region={region.code}")
    assert rows[programme.slug]["counts_in_totals"] is False
    assert summary_total(f"region={region.code}")["total_investment"] == "450000000.00" == str(own_sum(rows))


def test_stating_a_programmes_total_later_moves_the_count_to_it_at_once() -> None:
    region = RegionFactory()
    programme = ProjectFactory(region=region, kind="programme", planned_investment=None, investment_qualifier="")
    part = ProjectFactory(
        region=region, programme=programme, planned_investment=Decimal("1.00"), investment_qualifier="more_than"
    )
    assert summary_total(f"region={region.code}")["total_investment"] == "1.00"

    Project.objects.filter(pk=programme.pk).update(
        planned_investment=Decimal("300000000.00"), investment_qualifier="exact"
    )

    totals = summary_total(f"region={region.code}")
    assert (totals["project_count"], totals["total_investment"], totals["includes_bounds"]) == (
        1,
        "300000000.00",
        False,
    )
    assert listed(f"region={region.code}")[part.slug]["counts_in_totals"] is False


def test_the_rule_is_documented_on_the_field_and_the_summary() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    field = document["components"]["schemas"]["Project"]["properties"]["counts_in_totals"]
    assert field["type"] == "boolean"
    assert field["readOnly"] is True
    assert "programme" in field["description"]
    summary = document["paths"]["/api/v1/projects/summary/"]["get"]["description"]
    assert "states its total" in summary
