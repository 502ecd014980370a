"""No query parameter or path id, however hostile, breaks the service (issue 5, point 6).

Every query parameter of every read and every path id of every operation, as the served OpenAPI
document lists them, is sent huge and negative numbers, an empty value, a NUL byte, a lone UTF-16
surrogate, 10,000 characters, SQL and digits of other scripts. Each answer is a 2xx (empty or not)
or a 4xx in the API's JSON error shape, never a 5xx; and nothing in the database changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from knox.models import AuthToken

from companies.models import Company
from core.seed import seed_load
from indicators.models import Observation
from projects.models import Project
from regions.models import Region
from sources.models import Citation, Source
from tests.factories import (
    CommitmentFactory,
    CommitmentObservationFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectWarningFactory,
    SigningEventProjectFactory,
    WarningRuleFactory,
)

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
KELUN = "kelun-longquan-high-end-preparation-health-food"
# A read that needs a parameter to answer at all gets a valid one beside the hostile one.
REQUIRED = {"group_by": "region", "cohort": "signed_year"}


@dataclass(frozen=True)
class Hostile:
    name: str
    wire: str  # as it appears in the URL, percent-encoded


def hostile(name: str, value: str) -> Hostile:
    return Hostile(name, quote(value, safe=""))


HOSTILE = [
    hostile("huge", str(10**30)),
    hostile("negative", "-1"),
    hostile("huge-negative", str(-(10**30))),
    hostile("empty", ""),
    hostile("nul", "a\x00b"),
    Hostile("lone-surrogate", "%ED%A0%80"),  # U+D800 as UTF-8 would write it: no valid UTF-8 has it
    hostile("long-digits", "9" * 10_000),
    hostile("long-text", "x" * 10_000),
    hostile("sql-or", "' OR 1=1 --"),
    hostile("sql-drop", "1;DROP TABLE x"),
    hostile("arabic-indic-digits", "\u0661\u0662\u0663"),  # 123 in Arabic-Indic digits
    hostile("fullwidth-digits", "\uff11\uff12\uff13"),  # 123 in full-width digits
]


@pytest.fixture(scope="module")
def document(django_db_setup, django_db_blocker) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return response.json()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def parameters(operation: dict[str, Any], location: str) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == location]


@pytest.fixture
def world(admin_user) -> dict[str, Any]:
    """The seed, one record under each of a project's collections, and an administrator's token:
    every path gets a real key, so a hostile parameter reaches the code that reads it."""
    seed_load()
    project = Project.objects.get(slug=KELUN)
    children = {
        "participants": ParticipantFactory(project=project),
        "milestones": MilestoneFactory(project=project),
        "funds-in-place": FundsInPlaceFactory(project=project),
        "figures": FigureFactory(project=project),
        "follow-ups": FollowUpFactory(project=project),
        "commitments": CommitmentFactory(project=project),
    }
    children["commitment-observations"] = CommitmentObservationFactory(commitment=children["commitments"])
    keys = {
        "regions": "331181",
        "industries": project.industries.order_by("code").first().code,
        "companies": Company.objects.order_by("id").first().slug,
        "projects": KELUN,
        "indicators": str(Observation.objects.order_by("id").first().pk),
        "indicator-definitions": "gdp-growth",
        "sources": Source.objects.order_by("id").first().slug,
        "citations": str(Citation.objects.order_by("id").first().pk),
        "warnings": str(ProjectWarningFactory(project=project).pk),
        "warning-rules": str(WarningRuleFactory(region=project.region).pk),
        "signing-events": str(SigningEventProjectFactory(project=project, event__region=project.region).event.pk),
    }
    return {"keys": keys, "children": children, "token": AuthToken.objects.create(user=admin_user)[1]}


def real_path(path: str, world: dict[str, Any], hostile_name: str | None = None, value: str = "") -> str:
    """`path` with a real key for each variable, except `hostile_name`, which gets `value`."""
    collection = path.removeprefix("/api/v1/").split("/")[0]

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == hostile_name:
            return value
        if name == "project":
            return KELUN
        child = re.search(r"/projects/\{project\}/([\w-]+)/", path)
        if child:
            return str(world["children"][child.group(1)].pk)
        return quote(world["keys"][collection], safe="")

    return re.sub(r"\{(\w+)\}", fill, path)


def snapshot() -> dict[str, int]:
    models = (Region, Company, Project, Observation, Source, Citation, get_user_model())
    return {model._meta.label: model.objects.count() for model in models}


def problem(response, parameter: str | None = None) -> str | None:
    """Why `response` is not a 2xx or a 4xx in the JSON error shape (a 400 naming `parameter`), or None."""
    if HTTPStatus.OK <= response.status_code < HTTPStatus.MULTIPLE_CHOICES:
        return None
    if not HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR:
        return f"status {response.status_code}"
    if not response.get("Content-Type", "").startswith("application/json"):
        return f"{response.status_code} as {response.get('Content-Type')}"
    error = response.json().get("error", {})
    if not (isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
        return f"{response.status_code} without the error shape: {response.content[:200]!r}"
    if parameter and response.status_code == HTTPStatus.BAD_REQUEST and parameter not in error.get("fields", {}):
        return f"400 not naming {parameter}: {response.content[:200]!r}"
    return None


@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: value.name)
def test_a_hostile_value_in_any_parameter_is_a_4xx_or_an_answer_never_a_5xx(document, world, value):
    client = Client(HTTP_AUTHORIZATION=f"Token {world['token']}")
    before = snapshot()
    problems = []
    sent = 0
    for method, path, operation in operations(document):
        if method == "get":
            query = parameters(operation, "query")
            for name in query:
                extra = "".join(f"&{key}={valid}" for key, valid in REQUIRED.items() if key in query and key != name)
                url = f"{real_path(path, world)}?{name}={value.wire}{extra}"
                response = client.get(url)
                sent += 1
                if reason := problem(response, name):
                    problems.append(f"GET {path} ?{name}=<{value.name}>: {reason}")
        for name in parameters(operation, "path"):
            url = real_path(path, world, name, value.wire)
            kwargs = {"data": "{}", "content_type": "application/json"} if method in ("post", "put", "patch") else {}
            response = getattr(client, method)(url, **kwargs)
            sent += 1
            if reason := problem(response):
                problems.append(f"{method.upper()} {path} {{{name}}}=<{value.name}>: {reason}")
    assert problems == []
    assert sent > 200
    assert snapshot() == before


def test_a_page_number_too_long_for_python_s_int_is_past_the_last_page(api_client):
    response = api_client.get("/api/v1/regions/", {"page": "9" * 10_000})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/regions/", "/api/v1/regions/331181/", "/api/v1/projects/summary/"])
def test_an_unknown_format_is_a_400_naming_the_format_parameter(api_client, path):
    response = api_client.get(path, {"format": "xml", "group_by": "region"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"]["format"][0]["code"] == "invalid_choice"


def test_a_company_key_with_a_nul_byte_is_refused_on_its_filter(api_client):
    response = api_client.get("/api/v1/projects/", {"company": "kelun\x00"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["company"]


def test_a_project_key_with_a_nul_byte_has_no_records_under_it(api_client):
    response = api_client.get(f"/api/v1/projects/{quote(KELUN + chr(0))}/milestones/")
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("method", ["get", "delete"])
def test_a_record_key_with_a_nul_byte_is_not_found_like_any_unknown_key(world, method):
    client = Client(HTTP_AUTHORIZATION=f"Token {world['token']}")
    response = getattr(client, method)("/api/v1/regions/331181%00/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Region.objects.filter(code="331181").exists()


def test_the_token_revocation_documents_the_all_parameter_it_reads(document):
    operation = document["paths"]["/api/v1/auth/token/revoke/"]["post"]
    assert "all" in parameters(operation, "query")
