"""Projects over the API: the CRUD contract, money as exact decimal strings, and a detail that cites its facts."""

from __future__ import annotations

import pytest

from core.seed import seed_load
from projects.models import Project
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import CountyFactory, IndustryFactory, ProjectFactory

KELUN = "kelun-longquan-high-end-preparation-health-food"


class TestProjectAPI(CRUDContract):
    basename = "project"
    factory = ProjectFactory
    update_data = {"name": "Kelun project, second phase", "planned_investment": "2500000000.00"}
    invalid_data = {"planned_investment": "-1.00"}
    invalid_field = "planned_investment"

    def create_data(self):
        return {
            "name": "Kelun high-end preparation and health food project",
            "slug": "kelun-health-food",
            "region": CountyFactory().code,
            "industries": [IndustryFactory().code],
            "planned_investment": "2000000000.00",
            "investment_qualifier": "exact",
        }


@pytest.fixture
def editor():
    return client_for(staff_user(Project, "add"))


def post_project(client, **fields):
    payload = {"name": "Health food project", "slug": "health-food", "region": CountyFactory().code, **fields}
    return client.post("/api/v1/projects/", payload, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [2000000000.0, 1500.5, -1, "-0.01", "2000000000.001", "1e400", "NaN", True])
def test_planned_investment_that_is_not_an_exact_non_negative_amount_is_refused(editor, amount):
    response = post_project(editor, planned_investment=amount, investment_qualifier="exact")
    assert response.status_code == 400
    assert "planned_investment" in error_of(response)["fields"]
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_money_comes_back_as_a_decimal_string_with_two_places(editor):
    response = post_project(editor, planned_investment="2000000000", investment_qualifier="exact")
    assert response.status_code == 201, response.json()
    assert (response.json()["planned_investment"], response.json()["currency"]) == ("2000000000.00", "CNY")
    assert client_for().get("/api/v1/projects/").json()["results"][0]["planned_investment"] == "2000000000.00"


@pytest.mark.django_db
def test_a_qualifier_without_an_amount_is_refused(editor):
    response = post_project(editor, planned_investment=None, investment_qualifier="more_than")
    assert response.status_code == 400
    assert "qualifier" in str(error_of(response)["fields"])
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_an_unknown_region_is_refused_on_the_region_field(editor):
    response = post_project(editor, region="339999")
    assert response.status_code == 400
    assert error_of(response)["fields"]["region"][0]["code"] == "does_not_exist"


@pytest.mark.django_db
def test_industries_are_written_and_read_as_a_list_of_codes(editor):
    codes = sorted(IndustryFactory().code for _ in range(2))
    response = post_project(editor, industries=codes)
    assert response.status_code == 201, response.json()
    assert sorted(response.json()["industries"]) == codes
    assert sorted(Project.objects.get().industries.values_list("code", flat=True)) == codes


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["CHAIN-NOWHERE", "C\x0027"])
def test_an_unknown_industry_code_is_refused_on_the_industries_field(editor, code):
    response = post_project(editor, industries=[code])
    assert response.status_code == 400
    assert "industries" in error_of(response)["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("stage", ["on_hold", "cancelled"])
def test_a_project_on_hold_or_cancelled_without_a_reason_is_refused(editor, stage):
    response = post_project(editor, stage=stage)
    assert response.status_code == 400
    assert "needs the reason" in str(error_of(response)["fields"])
    assert post_project(editor, stage=stage, stage_reason="The investor withdrew.").status_code == 201


@pytest.mark.django_db
def test_the_kelun_detail_embeds_its_lead_investor_and_landing_each_with_its_citation():
    seed_load()
    body = client_for().get(f"/api/v1/projects/{KELUN}/").json()
    assert (body["planned_investment"], body["currency"], body["region"]["code"]) == ("2000000000.00", "CNY", "331181")
    assert body["lead_investor"]["slug"] == "sichuan-kelun-pharmaceutical"
    [participant] = body["participants"]
    assert (participant["company"]["slug"], participant["role"]) == ("sichuan-kelun-pharmaceutical", "lead_investor")
    assert participant["citation"]["locator"] == "L19"
    [milestone] = body["milestones"]
    assert (milestone["stage"], milestone["date"], milestone["date_precision"]) == ("landed", "2024-07-01", "month")
    assert milestone["citation"]["locator"] == "L19"
    assert "July this year" in milestone["citation"]["quote"]
    assert milestone["citation"]["source"]["slug"] == "lishui-article"


@pytest.mark.django_db
def test_a_project_detail_embeds_its_figures_each_with_its_citation():
    seed_load()
    body = client_for().get("/api/v1/projects/qingtian-metaverse-cluster/").json()
    revenue = next(figure for figure in body["figures"] if figure["metric"] == "revenue")
    assert (revenue["period"], revenue["value"], revenue["qualifier"]) == ("2024-H1", "1000000000.0000", "more_than")
    assert revenue["citation"]["locator"] == "L14"
    assert all(figure["citation"]["quote"] for figure in body["figures"])
