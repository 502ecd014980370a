"""Filtering the project list (issue 4, point 4): every documented parameter, on the article's data plus factories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from industries.models import Industry
from projects.filters import ProjectFilterSet
from projects.models import Project
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import CompanyFactory, MilestoneFactory, ParticipantFactory, ProjectFactory

# The article's records, loaded once for the module (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]

KELUN = "kelun-longquan-high-end-preparation-health-food"
BAIQIAO = "baiqiao-beautiful-healthy-projects"
BAIQIAO_1 = "baiqiao-beautiful-healthy-project-1"
BAIQIAO_2 = "baiqiao-beautiful-healthy-project-2"
QINGTIAN = "qingtian-metaverse-cluster"
SONGYANG = "songyang-smart-transportation-cluster"
SEMICONDUCTOR = "lishui-semiconductor-chain"
ALL_SEEDED = {KELUN, BAIQIAO, BAIQIAO_1, BAIQIAO_2, QINGTIAN, SONGYANG, SEMICONDUCTOR}

DOCUMENTED_FILTERS = [
    "region", "stage", "industry", "company", "investor", "min_investment", "max_investment", "has_investment",
    "milestone_after", "milestone_before", "milestone_stage", "kind", "programme", "search", "national_code",
    "fai_eligible", "fai_registered", "fai_pending",
]  # fmt: skip


def slugs(query: str) -> set[str]:
    """The slugs of every project the list answers for `query`, checking that none comes twice."""
    response = client_for().get(f"/api/v1/projects/?page_size=500&{query}")
    assert response.status_code == 200, response.json()
    found = [row["slug"] for row in response.json()["results"]]
    assert len(found) == len(set(found)), f"a project came twice: {found}"
    return set(found)


def refused(query: str) -> dict:
    """The per-parameter errors of a list request that must be refused."""
    response = client_for().get(f"/api/v1/projects/?{query}")
    assert response.status_code == 400, response.content
    return error_of(response)["fields"]


def project_in(region_code: str, **fields) -> Project:
    return ProjectFactory(region=Region.objects.get(code=region_code), **fields)


# --- region: the whole subtree ------------------------------------------------------------------------------------


def test_a_city_matches_the_projects_of_its_counties_and_of_the_blocks_inside_them() -> None:
    found = slugs("region=331100")
    assert {KELUN, BAIQIAO_1, BAIQIAO_2} <= found  # Longquan 331181; the Baiqiao block 331102-BQ in Liandu
    assert found == ALL_SEEDED


def test_a_district_matches_the_projects_of_its_block_and_not_those_of_its_neighbours() -> None:
    assert slugs("region=331102") == {BAIQIAO, BAIQIAO_1, BAIQIAO_2}
    assert slugs("region=331181") == {KELUN}


def test_a_region_filter_leaves_out_projects_elsewhere() -> None:
    elsewhere = ProjectFactory()
    assert elsewhere.slug not in slugs("region=331100")
    assert slugs(f"region={elsewhere.region.code}") == {elsewhere.slug}


def test_an_unknown_region_code_is_refused_naming_region() -> None:
    assert refused("region=339999")["region"][0]["code"] == "invalid_choice"


# --- stage: one or several -----------------------------------------------------------------------------------------


def test_stage_takes_one_stage() -> None:
    assert slugs("stage=landed") == {KELUN}


def test_stage_repeated_matches_any_of_the_stages() -> None:
    assert slugs("stage=signed&stage=landed") == {KELUN, BAIQIAO, BAIQIAO_1, BAIQIAO_2}


def test_an_unknown_stage_is_refused_naming_stage() -> None:
    assert "stage" in refused("stage=landed&stage=built")


# --- industry: with the narrower ones -----------------------------------------------------------------------------


def test_an_industry_matches_projects_filed_under_a_narrower_one() -> None:
    metaverse = Industry.objects.get(code="CHAIN-METAVERSE")
    vr_park = project_in("331121", slug="vr-park")
    vr_park.industries.set([metaverse])
    assert slugs("industry=CHAIN-AI") == {QINGTIAN, "vr-park"}
    assert slugs("industry=CHAIN-METAVERSE") == {QINGTIAN, "vr-park"}


def test_a_project_filed_under_an_industry_and_its_child_is_listed_once() -> None:
    both = project_in("331121", slug="ai-and-metaverse")
    both.industries.set(Industry.objects.filter(code__in=["CHAIN-AI", "CHAIN-METAVERSE"]))
    assert slugs("industry=CHAIN-AI") == {QINGTIAN, "ai-and-metaverse"}


def test_a_narrower_industry_does_not_match_projects_of_the_broader_one() -> None:
    broad = project_in("331121", slug="broad-ai")
    broad.industries.set([Industry.objects.get(code="CHAIN-AI")])
    assert "broad-ai" not in slugs("industry=CHAIN-METAVERSE")


def test_an_industry_filter_matches_any_of_a_projects_industries() -> None:
    assert slugs("industry=C") == {KELUN}  # filed under C27 and C14 as well as a chain
    assert slugs("industry=CHAIN-PHARMA-HEALTH-FOOD") == {KELUN}


def test_an_unknown_industry_code_is_refused_naming_industry() -> None:
    assert "industry" in refused("industry=CHAIN-NOTHING")


# --- company (any role) and investor ------------------------------------------------------------------------------


def test_company_matches_projects_the_company_takes_part_in_whatever_its_role() -> None:
    assert slugs("company=baidu") == {SONGYANG}  # a partner
    assert slugs("company=qingtian-innovation-empowerment-center") == {QINGTIAN}  # a promoting agency
    assert slugs("company=sichuan-kelun-pharmaceutical") == {KELUN}  # the lead investor


def test_company_is_given_by_id_or_slug() -> None:
    company = CompanyFactory(slug="hangzhou-chips")
    project = ParticipantFactory(company=company, role="operator").project
    assert slugs(f"company={company.pk}") == slugs("company=hangzhou-chips") == {project.slug}


def test_investor_matches_lead_and_other_investors_but_not_other_roles() -> None:
    company = CompanyFactory()
    lead = ParticipantFactory(company=company, role="lead_investor").project
    other = ParticipantFactory(company=company, role="investor").project
    partner = ParticipantFactory(company=company, role="partner").project
    assert slugs(f"investor={company.slug}") == {lead.slug, other.slug}
    assert partner.slug in slugs(f"company={company.slug}")
    assert slugs("investor=sichuan-kelun-pharmaceutical") == {KELUN}
    assert slugs("investor=baidu") == set()


def test_a_company_in_several_roles_lists_its_project_once() -> None:
    participant = ParticipantFactory(role="investor")
    ParticipantFactory(project=participant.project, company=participant.company, role="operator")
    assert slugs(f"company={participant.company.slug}") == {participant.project.slug}


@pytest.mark.parametrize("parameter", ["company", "investor"])
def test_an_unknown_company_is_refused_naming_the_parameter(parameter) -> None:
    errors = refused(f"{parameter}=no-such-company")
    assert errors[parameter][0]["code"] == "invalid_choice"
    assert "no-such-company" in errors[parameter][0]["message"]


# --- planned investment ---------------------------------------------------------------------------------------------


def test_min_and_max_investment_bound_the_planned_investment_inclusively() -> None:
    assert slugs("min_investment=2000000000") == {KELUN, BAIQIAO}  # 2.95 billion for the programme
    assert slugs("max_investment=1000000000") == {BAIQIAO_1, BAIQIAO_2}
    assert slugs("min_investment=1000000000.00&max_investment=2000000000.00") == {KELUN, BAIQIAO_1, BAIQIAO_2}


def test_investment_bounds_leave_out_projects_without_an_amount() -> None:
    assert not slugs("min_investment=0") & {QINGTIAN, SONGYANG, SEMICONDUCTOR}


def test_investment_bounds_compare_exact_decimals() -> None:
    project_in("331181", slug="one-fen-more", planned_investment=Decimal("2000000000.01"))
    assert slugs("min_investment=2000000000.01") == {"one-fen-more", BAIQIAO}
    assert "one-fen-more" not in slugs("max_investment=2000000000.00")


@pytest.mark.parametrize("value", ["abc", "1e", "NaN", "Infinity", "1,5"])
def test_an_investment_bound_that_is_not_a_number_is_refused_naming_it(value) -> None:
    assert "min_investment" in refused(f"min_investment={value}")
    assert "max_investment" in refused(f"max_investment={value}")


def test_a_minimum_above_the_maximum_is_refused_naming_max_investment() -> None:
    errors = refused("min_investment=2000000000&max_investment=1000000000")
    assert list(errors) == ["max_investment"]


def test_has_investment_separates_projects_with_and_without_an_amount() -> None:
    assert slugs("has_investment=true") == {KELUN, BAIQIAO, BAIQIAO_1, BAIQIAO_2}
    assert slugs("has_investment=false") == {QINGTIAN, SONGYANG, SEMICONDUCTOR}
    assert slugs("has_investment=1") == slugs("has_investment=True")


@pytest.mark.parametrize("value", ["maybe", "yes", "2", "t"])
def test_has_investment_other_than_true_or_false_is_refused_rather_than_ignored(value) -> None:
    assert refused(f"has_investment={value}")["has_investment"][0]["code"] == "invalid"


# --- milestones -----------------------------------------------------------------------------------------------------


def test_milestone_dates_match_projects_with_an_actual_milestone_in_the_range() -> None:
    assert slugs("milestone_after=2024-07-01&milestone_before=2024-07-31") == {KELUN}  # landed July 2024
    assert slugs("milestone_after=2024-07-02") == set()
    assert slugs("milestone_before=2024-06-30") == set()
    assert slugs("milestone_after=2024-07-01&milestone_before=2024-07-01") == {KELUN}


def test_planned_milestones_do_not_count() -> None:
    planned = MilestoneFactory(stage="construction_started", date=dt.date(2025, 3, 1), is_planned=True).project
    actual = MilestoneFactory(stage="signed", date=dt.date(2025, 3, 1)).project
    assert slugs("milestone_after=2025-01-01") == {actual.slug}
    assert planned.slug not in slugs("milestone_after=2025-01-01&milestone_stage=construction_started")


def test_milestone_stage_narrows_the_dates_to_one_milestone() -> None:
    project = MilestoneFactory(stage="signed", date=dt.date(2024, 3, 1)).project
    MilestoneFactory(project=project, stage="landed", date=dt.date(2024, 9, 1))
    # One milestone must meet every condition: the signing is not after August, the landing not in spring.
    assert slugs("milestone_after=2024-08-01&milestone_stage=signed") == set()
    assert slugs("milestone_after=2024-08-01&milestone_stage=landed") == {project.slug}
    assert slugs("milestone_before=2024-06-01&milestone_stage=landed") == set()
    assert slugs("milestone_stage=landed") == {project.slug, KELUN}
    assert slugs("milestone_stage=signed&milestone_stage=landed&milestone_after=2024-01-01") == {project.slug, KELUN}


@pytest.mark.parametrize("parameter", ["milestone_after", "milestone_before"])
@pytest.mark.parametrize("value", ["2024-13-01", "2024-02-30", "July 2024", "20240701"])
def test_a_milestone_date_that_is_not_a_date_is_refused_naming_it(parameter, value) -> None:
    assert parameter in refused(f"{parameter}={value}")


def test_milestone_before_earlier_than_milestone_after_is_refused_naming_milestone_before() -> None:
    errors = refused("milestone_after=2024-08-01&milestone_before=2024-07-31")
    assert list(errors) == ["milestone_before"]


def test_an_unknown_milestone_stage_is_refused_naming_it() -> None:
    assert "milestone_stage" in refused("milestone_stage=dreamt")


# --- kind and programme ---------------------------------------------------------------------------------------------


def test_kind_separates_projects_from_programmes() -> None:
    assert slugs("kind=programme") == {BAIQIAO, QINGTIAN, SONGYANG, SEMICONDUCTOR}
    assert slugs("kind=project") == {KELUN, BAIQIAO_1, BAIQIAO_2}


def test_an_unknown_kind_is_refused_naming_kind() -> None:
    assert "kind" in refused("kind=cluster")


def test_programme_matches_the_projects_of_a_programme_given_by_id_or_slug() -> None:
    programme = Project.objects.get(slug=BAIQIAO)
    assert slugs(f"programme={BAIQIAO}") == slugs(f"programme={programme.pk}") == {BAIQIAO_1, BAIQIAO_2}
    assert slugs(f"programme={QINGTIAN}") == set()


@pytest.mark.parametrize("value", ["no-such-programme", KELUN, "999999999"])
def test_a_programme_that_is_unknown_or_not_a_programme_is_refused_naming_programme(value) -> None:
    assert refused(f"programme={value}")["programme"][0]["code"] == "invalid_choice"


# --- together -------------------------------------------------------------------------------------------------------


def test_filters_combine_with_and() -> None:
    assert slugs("region=331100&stage=signed&kind=project&min_investment=1000000000") == {BAIQIAO_1, BAIQIAO_2}
    assert slugs("region=331102&industry=C") == set()
    assert slugs("search=Kolen&region=331181&investor=sichuan-kelun-pharmaceutical") == {KELUN}


def test_every_invalid_parameter_of_one_request_is_named() -> None:
    errors = refused("region=339999&stage=built&min_investment=abc&milestone_after=someday&has_investment=perhaps")
    assert set(errors) == {"region", "stage", "min_investment", "milestone_after", "has_investment"}


def test_filters_work_in_cursor_mode_and_in_the_csv_export_too() -> None:
    response = client_for().get("/api/v1/projects/?cursor=&region=331102&kind=project")
    assert {row["slug"] for row in response.json()["results"]} == {BAIQIAO_1, BAIQIAO_2}
    assert client_for().get("/api/v1/projects/?format=csv&region=339999").status_code == 400


# --- the documented parameters --------------------------------------------------------------------------------------


def test_the_filterset_declares_exactly_the_documented_parameters() -> None:
    assert sorted(ProjectFilterSet.base_filters) == sorted(DOCUMENTED_FILTERS)


@pytest.mark.parametrize("path", ["/api/v1/projects/", "/api/v1/projects/summary/"])
def test_every_filter_is_in_the_openapi_document_with_a_description_and_a_type(path) -> None:
    document = client_for().get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    for name in DOCUMENTED_FILTERS:
        assert name in parameters, f"{name} is not documented for {path}"
        assert parameters[name]["in"] == "query"
        assert parameters[name].get("description", "").strip(), f"{name} has no description"
        assert parameters[name]["schema"].get("type"), f"{name} has no type"


def test_key_parameters_are_documented_as_strings_and_lists_as_arrays() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/projects/"]["get"]["parameters"]}
    for name in ("region", "industry", "company", "investor", "programme", "search"):
        assert parameters[name]["schema"]["type"] == "string", name
    assert parameters["stage"]["schema"]["type"] == "array"
    assert parameters["has_investment"]["schema"]["type"] == "boolean"
    assert parameters["milestone_after"]["schema"] == {"type": "string", "format": "date"}
