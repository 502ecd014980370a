"""Sources and citations over the API: the CRUD contract, and quotes that keep their source."""

from __future__ import annotations

import pytest

from sources.models import Source
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import CitationFactory, SourceFactory


class TestSourceAPI(CRUDContract):
    basename = "source"
    factory = SourceFactory
    update_data = {"title": "Lishui's industrial advancements, revised", "publisher": "Lishui Daily"}
    invalid_data = {"kind": "rumour"}
    invalid_field = "kind"

    def create_data(self):
        return {
            "slug": "lishui-bulletin-2024-h1",
            "title": "Lishui statistical bulletin, first half of 2024",
            "kind": "statistical_bulletin",
            "published_on": "2024-07-20",
            "url": "https://www.lishui.gov.cn/bulletin",
        }


class TestCitationAPI(CRUDContract):
    basename = "citation"
    factory = CitationFactory
    update_data = {"locator": "L20"}
    invalid_data = {"quote": "   "}
    invalid_field = "quote"

    def create_data(self):
        return {"source": SourceFactory().slug, "locator": "L19", "quote": "Kolen and Longquan joined hands again."}


@pytest.mark.django_db
def test_a_source_with_citations_cannot_be_deleted():
    citation = CitationFactory()
    response = client_for(staff_user(Source, "delete")).delete(
        f"/api/v1/sources/{citation.source.slug}/", headers={"if-match": "*"}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert "citations" in error_of(response)["message"]
    assert Source.objects.filter(pk=citation.source.pk).exists()
