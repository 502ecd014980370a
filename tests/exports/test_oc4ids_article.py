"""The article's data as an OC4IDS package (issue 23, item 3): valid, with its figures as the article states them.

A module of its own: the article's records stay loaded for the whole module that asks for them.
"""

from __future__ import annotations

import pytest

from projects.models import Project
from tests.exports.test_oc4ids import assert_valid, export

pytestmark = pytest.mark.django_db


def test_the_article_makes_a_valid_package(article):
    _response, _body, package = export()

    assert len(package["projects"]) == Project.objects.count()
    assert_valid(package)
    kelun = next(p for p in package["projects"] if p["identifiers"][0]["id"].startswith("kelun-"))
    assert kelun["budget"]["amount"] == {"amount": 2000000000, "currency": "CNY"}
    assert kelun["parties"][0]["roles"] == ["funder"]
    assert kelun["locations"][0]["gazetteer"] == {"scheme": "GB/T 2260", "identifiers": ["331181"]}
    assert "Kolen Pharmaceuticals" in " ".join(document["description"] for document in kelun["documents"])
    budgets = [project.get("budget", {}) for project in package["projects"]]
    bounds = [budget for budget in budgets if "more than 1,000,000,000.00" in budget.get("description", "")]
    assert bounds
    assert all("amount" not in budget for budget in bounds)
