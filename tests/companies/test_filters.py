"""Filtering the company list (issue 4, point 4): headquarters subtree, industry, parent, credit code, kind, search."""

from __future__ import annotations

import pytest

from companies.credit_code import credit_code_check_character, organisation_code_check_character
from companies.filters import CompanyFilterSet
from companies.models import Company
from industries.models import Industry
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import CompanyFactory

# The article's records, loaded once for the module (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]

DONGYI = "zhejiang-dongyi-magnetic"
KELUN = "sichuan-kelun-pharmaceutical"
GUOJING = "zhejiang-guojing-pharmaceutical"
DALEZHIHANG = "dalezhihang-zhejiang-technology"
APOLLO = "songyang-apollo-innovation-center"
BAIDU = "baidu"
WERIDE = "weride"
QINGTIAN_CENTER = "qingtian-innovation-empowerment-center"

DOCUMENTED_FILTERS = ["region", "industry", "parent", "credit_code", "kind", "search"]


def slugs(query: str) -> set[str]:
    response = client_for().get(f"/api/v1/companies/?page_size=500&{query}")
    assert response.status_code == 200, response.json()
    found = [row["slug"] for row in response.json()["results"]]
    assert len(found) == len(set(found)), f"a company came twice: {found}"
    return set(found)


def refused(query: str) -> dict:
    response = client_for().get(f"/api/v1/companies/?{query}")
    assert response.status_code == 400, response.content
    return error_of(response)["fields"]


def valid_credit_code(organisation: str = "MA2B3C4D") -> str:
    """A structurally valid unified social credit code: a Lishui enterprise with the given organisation body."""
    first17 = f"91331100{organisation}{organisation_code_check_character(organisation)}"
    return first17 + credit_code_check_character(first17)


# --- region: the headquarters' subtree ------------------------------------------------------------------------------


def test_a_city_matches_companies_headquartered_in_its_counties_and_zones() -> None:
    assert slugs("region=331100") == {DONGYI, GUOJING, DALEZHIHANG, APOLLO, QINGTIAN_CENTER}  # Dongyi: in the zone


def test_a_county_matches_only_its_own_companies() -> None:
    assert slugs("region=331124") == {DALEZHIHANG, APOLLO}
    assert slugs("region=510000") == {KELUN}


def test_companies_without_a_known_headquarters_match_no_region() -> None:
    assert not slugs("region=CN") & {BAIDU, WERIDE}
    assert {BAIDU, WERIDE} <= slugs("")


def test_an_unknown_region_code_is_refused_naming_region() -> None:
    assert refused("region=339999")["region"][0]["code"] == "invalid_choice"


# --- industry: with the narrower ones -------------------------------------------------------------------------------


def test_an_industry_matches_companies_filed_under_a_narrower_one() -> None:
    assert slugs("industry=C") == {DONGYI, KELUN, GUOJING}  # Dongyi is under C385, two levels down
    assert slugs("industry=CHAIN-AI") == {BAIDU, QINGTIAN_CENTER}  # the centre is under CHAIN-METAVERSE


def test_a_company_filed_under_an_industry_and_its_child_is_listed_once() -> None:
    company = CompanyFactory()
    company.industries.set(Industry.objects.filter(code__in=["CHAIN-AI", "CHAIN-METAVERSE"]))
    assert slugs("industry=CHAIN-AI") == {BAIDU, QINGTIAN_CENTER, company.slug}


def test_a_narrower_industry_does_not_match_companies_of_the_broader_one() -> None:
    assert slugs("industry=CHAIN-METAVERSE") == {QINGTIAN_CENTER}
    assert slugs("industry=CHAIN-LOW-ALTITUDE") == set()


def test_an_unknown_industry_code_is_refused_naming_industry() -> None:
    assert "industry" in refused("industry=C99")


# --- parent ---------------------------------------------------------------------------------------------------------


def test_parent_matches_the_subsidiaries_of_a_company_given_by_id_or_slug() -> None:
    kelun = Company.objects.get(slug=KELUN)
    assert slugs(f"parent={KELUN}") == slugs(f"parent={kelun.pk}") == {GUOJING}
    assert slugs(f"parent={GUOJING}") == set()


def test_an_unknown_parent_is_refused_naming_parent() -> None:
    assert refused("parent=no-such-group")["parent"][0]["code"] == "invalid_choice"


# --- credit code ----------------------------------------------------------------------------------------------------


def test_credit_code_matches_the_company_with_that_code_in_any_case() -> None:
    code = valid_credit_code()
    company = CompanyFactory(credit_code=code)
    CompanyFactory(credit_code=valid_credit_code("MA2B3C4E"))
    assert slugs(f"credit_code={code}") == {company.slug}
    assert slugs(f"credit_code={code.lower()}") == {company.slug}
    assert slugs(f"credit_code={valid_credit_code('MA9Y9Y9Y')}") == set()


@pytest.mark.parametrize("value", ["91331100", "91331100MA2B3C4D5X6", "91331100MA2B3C4DIO"])
def test_a_credit_code_of_the_wrong_shape_is_refused_naming_credit_code(value) -> None:
    assert "credit_code" in refused(f"credit_code={value}")


# --- kind -----------------------------------------------------------------------------------------------------------


def test_kind_takes_one_or_several_kinds() -> None:
    assert slugs("kind=platform") == {APOLLO, QINGTIAN_CENTER}
    assert slugs("kind=platform&kind=government") == {APOLLO, QINGTIAN_CENTER}
    assert len(slugs("kind=enterprise&kind=platform")) == Company.objects.count()


def test_an_unknown_kind_is_refused_naming_kind() -> None:
    assert "kind" in refused("kind=platform&kind=startup")


# --- search and together ----------------------------------------------------------------------------------------------


def test_search_finds_companies_by_alias_chinese_name_stock_code_and_credit_code() -> None:
    company = CompanyFactory(credit_code=valid_credit_code())
    assert slugs("search=Kolen") == {KELUN}
    assert slugs("search=科伦") == {KELUN}
    assert slugs("search=sz%20002422") == {KELUN}  # the stock code, from its start
    assert slugs(f"search={valid_credit_code()[:12].lower()}") == {company.slug}


def test_filters_combine_with_and() -> None:
    assert slugs("region=331100&industry=CHAIN-SMART-TRANSPORT&kind=enterprise") == {DALEZHIHANG}
    assert slugs("region=331181&parent=sichuan-kelun-pharmaceutical&search=guojing") == {GUOJING}
    headquarters = Region.objects.get(code="331181")
    assert slugs(f"region={headquarters.code}&kind=platform") == set()


def test_every_invalid_parameter_of_one_request_is_named() -> None:
    errors = refused("region=nowhere&industry=nothing&parent=nobody&credit_code=short&kind=club")
    assert set(errors) == {"region", "industry", "parent", "credit_code", "kind"}


# --- the documented parameters --------------------------------------------------------------------------------------


def test_the_filterset_declares_exactly_the_documented_parameters() -> None:
    assert sorted(CompanyFilterSet.base_filters) == sorted(DOCUMENTED_FILTERS)


def test_every_filter_is_in_the_openapi_document_with_a_description_and_a_type() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/companies/"]["get"]["parameters"]}
    for name in DOCUMENTED_FILTERS:
        assert name in parameters, f"{name} is not documented"
        assert parameters[name].get("description", "").strip(), f"{name} has no description"
        assert parameters[name]["schema"].get("type"), f"{name} has no type"
    assert parameters["region"]["schema"]["type"] == parameters["parent"]["schema"]["type"] == "string"
