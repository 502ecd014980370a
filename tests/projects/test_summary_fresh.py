"""Summaries follow the committed data: a write shows in the next answer (issue 7 point 5).

A summary is cached until the next write (projects.summary_cache); these tests hold it to that. The
database is used with real commits (`transaction=True`), as two requests of different workers see it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from projects.models import Project
from tests.contract import client_for
from tests.factories import CityFactory, CountyFactory, ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARY = "/api/v1/projects/summary/"


def summary(**params) -> dict:
    response = client_for().get(SUMMARY, params)
    assert response.status_code == 200, response.content
    return response.json()


def row(body: dict, key: str) -> dict:
    return next(r for r in body["rows"] if r["key"] == key)


def test_a_committed_write_shows_in_the_next_summary_at_once() -> None:
    city = CityFactory()
    county = CountyFactory(parent=city)
    ProjectFactory(region=county, planned_investment=Decimal("100.00"), investment_qualifier="exact")
    before = summary(group_by="region", region=city.code)
    assert row(before, county.code)["project_count"] == 1
    assert row(before, county.code)["total_investment"] == "100.00"

    added = ProjectFactory(region=county, planned_investment=Decimal("250.00"), investment_qualifier="exact")
    after = summary(group_by="region", region=city.code)
    assert (row(after, county.code)["project_count"], row(after, county.code)["total_investment"]) == (2, "350.00")
    assert after["totals"]["total_investment"] == "350.00"

    Project.objects.filter(pk=added.pk).update(planned_investment=Decimal("50.00"))  # a bulk write, no signals
    assert summary(group_by="region", region=city.code)["totals"]["total_investment"] == "150.00"

    Project.objects.filter(pk=added.pk).delete()
    for group_by in ("region", "status", "year", "industry"):
        assert summary(group_by=group_by)["totals"]["project_count"] == 1, group_by
