"""Industries over the API: the CRUD contract, and a taxonomy that refuses to lose its branches."""

from __future__ import annotations

import pytest

from industries.models import Industry
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import IndustryFactory


class TestIndustryAPI(CRUDContract):
    basename = "industry"
    factory = IndustryFactory
    key_field = "code"
    update_data = {"name": "Renamed chain", "description": "Renamed by the bureau."}
    invalid_data = {"code": "C27"}  # a GB/T 4754 code in the chain scheme
    invalid_field = "non_field_errors"

    def create_data(self):
        return {"code": "CHAIN-NEW-MATERIALS", "name": "New materials", "scheme": "chain", "parent": None}


@pytest.mark.django_db
def test_an_industry_with_narrower_ones_cannot_be_deleted():
    parent = IndustryFactory()
    IndustryFactory(parent=parent)
    response = client_for(staff_user(Industry, "delete")).delete(
        f"/api/v1/industries/{parent.code}/", headers={"if-match": "*"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert Industry.objects.filter(pk=parent.pk).exists()


@pytest.mark.django_db
def test_an_industry_below_one_of_another_scheme_is_refused_on_the_parent_field():
    chain = IndustryFactory()
    payload = {"code": "C27", "name": "Manufacture of medicines", "scheme": "gbt4754", "parent": chain.code}
    response = client_for(staff_user(Industry, "add")).post("/api/v1/industries/", payload, format="json")
    assert response.status_code == 400
    assert "parent" in error_of(response)["fields"]
