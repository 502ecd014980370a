"""Indicator definitions and observations over the API: the CRUD contract, one value per region and period."""

from __future__ import annotations

import pytest

from indicators.models import Observation
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import CountyFactory, IndicatorFactory, ObservationFactory


class TestIndicatorDefinitionAPI(CRUDContract):
    basename = "indicator"
    factory = IndicatorFactory
    key_field = "code"
    update_data = {"name": "Industrial output growth", "name_zh": "规上工业增加值增速"}
    invalid_data = {"unit": "furlongs"}
    invalid_field = "unit"

    def create_data(self):
        return {"code": "gdp-growth-yoy", "name": "GDP growth, year on year", "unit": "percent"}


class TestObservationAPI(CRUDContract):
    basename = "observation"
    factory = ObservationFactory
    update_data = {"value": "7.1000", "rank_text": "2nd in Zhejiang"}
    invalid_data = {"period": "2024-H3"}
    invalid_field = "period"

    def create_data(self):
        return {
            "region": CountyFactory().code,
            "indicator": IndicatorFactory().code,
            "period": "2024-H1",
            "value": "6.9000",
            "qualifier": "exact",
        }


@pytest.fixture
def editor():
    return client_for(staff_user(Observation, "add"))


@pytest.mark.django_db
def test_a_second_value_for_the_same_region_indicator_and_period_is_refused(editor):
    existing = ObservationFactory(period="2024-H1")
    payload = {"region": existing.region.code, "indicator": existing.indicator.code, "period": "2024-H1", "value": "1"}
    response = editor.post("/api/v1/indicators/", payload, format="json")
    assert response.status_code in (400, 409)
    assert "already has a value" in str(error_of(response))
    assert Observation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["2024-H3", "2024-13", "24", "2024/07", "H1 2024", "2024-h1", ""])
def test_a_period_not_written_as_the_api_writes_periods_is_refused(editor, period):
    payload = {"region": CountyFactory().code, "indicator": IndicatorFactory().code, "period": period, "value": "1"}
    response = editor.post("/api/v1/indicators/", payload, format="json")
    assert response.status_code == 400
    assert "period" in error_of(response)["fields"]
    assert not Observation.objects.exists()


@pytest.mark.django_db
def test_an_observation_comes_back_with_the_bounds_of_its_period(editor):
    payload = {"region": CountyFactory().code, "indicator": IndicatorFactory().code, "period": "2024-Q2", "value": "1"}
    body = editor.post("/api/v1/indicators/", payload, format="json").json()
    assert (body["period_start"], body["period_end"], body["value"]) == ("2024-04-01", "2024-06-30", "1.0000")
