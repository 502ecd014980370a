"""Filtering indicator observations (issue 4, point 4): region subtree, indicator, period and its range, derived."""

from __future__ import annotations

import pytest

from indicators.filters import ObservationFilterSet
from indicators.models import Indicator
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import ObservationFactory

# The article's records, loaded once for the module (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]

DOCUMENTED_FILTERS = ["region", "indicator", "period", "period_from", "period_to", "is_derived"]
LISHUI_H1 = {
    ("gdp-growth", "331100", "2024-H1"),
    ("gdp-growth-lead-national", "331100", "2024-H1"),
    ("gdp-growth-lead-provincial", "331100", "2024-H1"),
    ("iva-growth-manufacturing", "331100", "2024-H1"),
    ("iva-growth-equipment-manufacturing", "331100", "2024-H1"),
    ("iva-growth-high-tech", "331100", "2024-H1"),
}
DERIVED = {("gdp-growth", "CN", "2024-H1"), ("gdp-growth", "330000", "2024-H1")}


@pytest.fixture
def longquan_gdp():
    """Longquan's GDP growth over several periods, beside the article's H1 2024 figures."""
    region, indicator = Region.objects.get(code="331181"), Indicator.objects.get(code="gdp-growth")
    for period in ["2023-Q4", "2024", "2024-07", "2024-Q3", "2025-H1"]:
        ObservationFactory(region=region, indicator=indicator, period=period)


def observations(query: str) -> set[tuple[str, str, str]]:
    response = client_for().get(f"/api/v1/indicators/?page_size=500&{query}")
    assert response.status_code == 200, response.json()
    rows = [(row["indicator"]["code"], row["region"]["code"], row["period"]) for row in response.json()["results"]]
    assert len(rows) == len(set(rows)), f"an observation came twice: {rows}"
    return set(rows)


def periods(query: str) -> set[str]:
    return {period for _indicator, _region, period in observations(query)}


def refused(query: str) -> dict:
    response = client_for().get(f"/api/v1/indicators/?{query}")
    assert response.status_code == 400, response.content
    return error_of(response)["fields"]


# --- region: the whole subtree ------------------------------------------------------------------------------------


def test_a_region_matches_its_own_observations_and_those_of_regions_below_it() -> None:
    assert observations("region=331100") == LISHUI_H1
    assert observations("region=330000") == LISHUI_H1 | {("gdp-growth", "330000", "2024-H1")}
    assert observations("region=CN") == LISHUI_H1 | DERIVED


def test_a_county_observation_counts_for_its_city(longquan_gdp) -> None:
    assert ("gdp-growth", "331181", "2024") in observations("region=331100")
    assert periods("region=331181") == {"2023-Q4", "2024", "2024-07", "2024-Q3", "2025-H1"}


def test_an_unknown_region_code_is_refused_naming_region() -> None:
    assert refused("region=339999")["region"][0]["code"] == "invalid_choice"


# --- indicator ------------------------------------------------------------------------------------------------------


def test_indicator_takes_one_or_several_codes() -> None:
    assert observations("indicator=gdp-growth") == {("gdp-growth", "331100", "2024-H1"), *DERIVED}
    both = observations("indicator=gdp-growth-lead-national&indicator=iva-growth-high-tech")
    assert both == {("gdp-growth-lead-national", "331100", "2024-H1"), ("iva-growth-high-tech", "331100", "2024-H1")}


def test_an_unknown_indicator_is_refused_naming_indicator() -> None:
    assert "indicator" in refused("indicator=gdp-growth&indicator=happiness")


# --- period and its range ---------------------------------------------------------------------------------------------


def test_period_matches_exactly_that_period(longquan_gdp) -> None:
    assert observations("period=2024-H1") == LISHUI_H1 | DERIVED
    assert observations("period=2024") == {("gdp-growth", "331181", "2024")}
    assert observations("period=2024-Q2") == set()  # inside 2024-H1, but not that period


def test_period_from_keeps_periods_starting_on_or_after_its_start(longquan_gdp) -> None:
    assert periods("region=331181&period_from=2024") == {"2024", "2024-07", "2024-Q3", "2025-H1"}
    assert periods("region=331181&period_from=2024-Q3") == {"2024-07", "2024-Q3", "2025-H1"}
    assert periods("region=331181&period_from=2024-08") == {"2025-H1"}


def test_period_to_keeps_periods_ending_on_or_before_its_end(longquan_gdp) -> None:
    assert periods("region=331181&period_to=2024") == {"2023-Q4", "2024", "2024-07", "2024-Q3"}
    assert periods("region=331181&period_to=2024-H1") == {"2023-Q4"}
    assert periods("period_to=2024-H1") == {"2023-Q4", "2024-H1"}


def test_period_from_and_to_together_keep_the_periods_inside_the_range(longquan_gdp) -> None:
    assert periods("region=331181&period_from=2024-H2&period_to=2024-H2") == {"2024-07", "2024-Q3"}
    assert periods("period_from=2024-01&period_to=2024-06") == {"2024-H1"}  # January to June holds H1
    assert periods("period_from=2024-02&period_to=2024-06") == set()  # but not from February
    assert periods("period_from=2024-01&period_to=2024-05") == set()


@pytest.mark.parametrize("parameter", ["period", "period_from", "period_to"])
@pytest.mark.parametrize("value", ["2024-H3", "2024-Q5", "2024-13", "24", "0999", "2024H1", "H1 2024"])
def test_a_period_not_written_as_a_period_is_refused_naming_it(parameter, value) -> None:
    assert parameter in refused(f"{parameter}={value}")


def test_a_range_ending_before_it_starts_is_refused_naming_period_to() -> None:
    errors = refused("period_from=2024-H2&period_to=2024-Q1")
    assert list(errors) == ["period_to"]


# --- is_derived ---------------------------------------------------------------------------------------------------


def test_is_derived_separates_derived_values_from_stated_ones() -> None:
    assert observations("is_derived=true") == DERIVED
    assert observations("is_derived=false") == LISHUI_H1


@pytest.mark.parametrize("value", ["maybe", "derived", "2"])
def test_is_derived_other_than_true_or_false_is_refused_rather_than_ignored(value) -> None:
    assert refused(f"is_derived={value}")["is_derived"][0]["code"] == "invalid"


# --- together and documented ----------------------------------------------------------------------------------------


def test_filters_combine_with_and(longquan_gdp) -> None:
    assert periods("region=331100&indicator=gdp-growth&period_from=2024&period_to=2024&is_derived=false") == {
        "2024",
        "2024-07",
        "2024-Q3",
        "2024-H1",
    }


def test_every_invalid_parameter_of_one_request_is_named() -> None:
    errors = refused("region=x&indicator=y&period=z&period_from=2024-H9&period_to=soon&is_derived=perhaps")
    assert set(errors) == set(DOCUMENTED_FILTERS)


def test_the_filterset_declares_exactly_the_documented_parameters() -> None:
    assert sorted(ObservationFilterSet.base_filters) == sorted(DOCUMENTED_FILTERS)


def test_every_filter_is_in_the_openapi_document_with_a_description_and_a_type() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/indicators/"]["get"]["parameters"]}
    for name in DOCUMENTED_FILTERS:
        assert name in parameters, f"{name} is not documented"
        assert parameters[name].get("description", "").strip(), f"{name} has no description"
        assert parameters[name]["schema"].get("type"), f"{name} has no type"
    assert parameters["is_derived"]["schema"]["type"] == "boolean"
