"""The OpenAPI document describes the API completely enough to build a client on it (issue 4, point 9).

Every operation has a summary, a description, a tag and an operationId; every path and query
parameter is described; every error an operation can answer is listed with the one error shape,
and the statuses the API really answers are among them; the main operations carry examples taken
from the article's data, which fit their schemas and are what the API answers with the seed loaded.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient
from rest_framework.validators import UniqueValidator

from api.asof import PARAMETER as AS_OF
from api.asof import has_history
from api.routers import router
from core.seed import seed_load
from indicators.models import Observation
from regions.models import Region
from tests.factories import (
    CitationFactory,
    CommitmentFactory,
    CommitmentObservationFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    IndustryFactory,
    MilestoneFactory,
    ObservationFactory,
    ParticipantFactory,
    ProjectFactory,
    ProjectWarningFactory,
    SigningEventProjectFactory,
    StaffUserFactory,
    WarningRuleFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")
WRITES = ("post", "put", "patch")
PAGE_PARAMETERS = {"page", "page_size", "cursor"}
ERROR_REF = "#/components/schemas/Error"
KELUN = "kelun-longquan-high-end-preparation-health-food"
# Exports in a standard's own format (issue 23: OC4IDS): one JSON document, neither a page nor a CSV table.
STANDARD_EXPORTS = {f"{API}/export/oc4ids/"}


@pytest.fixture(scope="module")
def document(django_db_blocker) -> dict[str, Any]:
    """The document as clients get it, built once for the module."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return response.json()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][f"{API}{path}"][method]


def is_list(method: str, path: str) -> bool:
    if path in STANDARD_EXPORTS:
        return False
    return method == "get" and path.endswith("/") and not path.endswith("}/") and not path.endswith("/summary/")


def collections() -> Iterator[tuple[str, type]]:
    """Each list path of the router, as the document writes it, and its viewset."""
    for prefix, viewset, _basename in router.registry:
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", prefix)
        yield f"{API}/{path}/", viewset


def json_schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as a strict JSON Schema: `nullable` spelled out, unknown keys refused."""

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: convert(value) for key, value in node.items()}
        if isinstance(node.get("properties"), dict) and node.get("type") == "object":
            node.setdefault("additionalProperties", False)
        if node.pop("nullable", False) is True:
            return {"anyOf": [{"type": "null"}, node]}
        return node

    return {**convert(copy.deepcopy(schema)), "components": convert(copy.deepcopy(document["components"]))}


def validate(document: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    validator = Draft202012Validator(json_schema(document, schema), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(value)]


def test_the_schema_command_validates_the_document_without_a_warning(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text(encoding="utf-8").startswith("openapi: 3.")


def test_every_operation_has_a_summary_a_description_a_tag_and_a_unique_operation_id(document):
    missing = []
    for method, path, op in operations(document):
        for key in ("summary", "description", "operationId"):
            if not str(op.get(key, "")).strip():
                missing.append(f"{method.upper()} {path}: {key}")
        if not op.get("tags"):
            missing.append(f"{method.upper()} {path}: tags")
    assert missing == []
    ids = [op["operationId"] for _method, _path, op in operations(document)]
    assert len(ids) == len(set(ids))


def test_the_summary_operation_is_called_projects_summary(document):
    assert operation(document, "get", "/projects/summary/")["operationId"] == "projects_summary"


def test_every_parameter_is_described_and_every_path_variable_is_a_required_parameter(document):
    problems = []
    for method, path, op in operations(document):
        parameters = {(p["name"], p["in"]): p for p in op.get("parameters", [])}
        for variable in re.findall(r"{(\w+)}", path):
            parameter = parameters.get((variable, "path"))
            if parameter is None or parameter.get("required") is not True:
                problems.append(f"{method.upper()} {path}: path parameter {variable}")
        for (name, location), parameter in parameters.items():
            if not parameter.get("description", "").strip() or "type" not in parameter.get("schema", {}):
                problems.append(f"{method.upper()} {path}: {location} parameter {name} undescribed")
    assert problems == []


def test_keys_that_may_be_slugs_or_codes_are_strings_so_a_client_can_send_them(document):
    parameters = {p["name"]: p for p in operation(document, "get", "/projects/{project}/milestones/")["parameters"]}
    assert parameters["project"]["schema"] == {"type": "string"}
    assert parameters["project"]["description"] == "Id or slug of the project."
    project_key = {p["name"]: p for p in operation(document, "get", "/projects/{key}/")["parameters"]}["key"]
    assert project_key["schema"] == {"type": "string"}
    region_key = {p["name"]: p for p in operation(document, "get", "/regions/{key}/")["parameters"]}["key"]
    assert region_key["description"] == "Code of the region."


def test_every_list_documents_its_filters_ordering_and_both_kinds_of_pages(document):
    problems = {}
    for path, viewset in collections():
        documented = {p["name"] for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        filterset = getattr(viewset, "filterset_class", None)
        filters = set(filterset.base_filters) if filterset else set()
        expected = filters | PAGE_PARAMETERS | {"ordering", "format"}
        if has_history(viewset.queryset.model):
            expected.add(AS_OF)  # a list of records with a history, read as of a past moment (api.asof)
        if documented != expected:
            problems[path] = {"undocumented": expected - documented, "not taken": documented - expected}
    assert problems == {}


def test_collections_with_names_document_search(document):
    for path in ("/regions/", "/industries/", "/companies/", "/projects/", "/sources/"):
        names = [p["name"] for p in operation(document, "get", path)["parameters"]]
        assert "search" in names, path


def test_the_summary_takes_the_filters_of_the_list_but_not_its_order_or_pages(document):
    summary = {p["name"] for p in operation(document, "get", "/projects/summary/")["parameters"]}
    listed = {p["name"] for p in operation(document, "get", "/projects/")["parameters"]}
    assert summary == (listed - PAGE_PARAMETERS - {"ordering"}) | {"group_by"}


def expected_errors(method: str, path: str) -> set[int]:
    """What the issue asks each kind of operation to document."""
    statuses = set()
    if method in WRITES or is_list(method, path):
        statuses.add(400)
    if method != "get":
        statuses.update({403, 409})
    if "{" in path or is_list(method, path):
        statuses.add(404)
    if path.endswith("/summary/") or path in STANDARD_EXPORTS:
        statuses.add(400)
    if method in ("put", "patch", "delete") and "{key}" in path:
        statuses.update({412, 428})  # a stale If-Match, or none
    return statuses


def test_every_operation_documents_the_errors_it_can_return_in_the_error_shape(document):
    problems = []
    for method, path, op in operations(document):
        responses = op["responses"]
        for status in sorted(expected_errors(method, path)):
            if str(status) not in responses:
                problems.append(f"{method.upper()} {path}: {status} missing")
        for status, response in responses.items():
            if status.startswith("4"):
                if list(response.get("content", {})) != ["application/json"]:
                    problems.append(f"{method.upper()} {path}: {status} is not JSON only")
                elif response["content"]["application/json"]["schema"] != {"$ref": ERROR_REF}:
                    problems.append(f"{method.upper()} {path}: {status} is not the error shape")
                if not response.get("description"):
                    problems.append(f"{method.upper()} {path}: {status} undescribed")
    assert problems == []


def test_reads_say_they_also_come_as_csv_text_and_writes_answer_json(document):
    for method, path, op in operations(document):
        success = next(response for status, response in op["responses"].items() if status.startswith("2"))
        media_types = list(success.get("content", {}))
        if method == "get" and path in STANDARD_EXPORTS:
            assert media_types == ["application/json"], path
        elif method == "get":
            assert media_types == ["application/json", "text/csv"], path
            assert success["content"]["text/csv"]["schema"]["type"] == "string"
        elif method != "delete" and success.get("content"):
            assert media_types == ["application/json"], f"{method} {path}"


@pytest.fixture
def records() -> dict[str, Any]:
    """One record of every collection, and the keys to reach each."""
    project = ProjectFactory()
    participant = ParticipantFactory(project=project)
    observation = ObservationFactory(region=project.region)
    citation = CitationFactory()
    return {
        "regions": project.region.code,
        "industries": IndustryFactory().code,
        "companies": participant.company.slug,
        "projects": project.slug,
        "participants": participant.pk,
        "milestones": MilestoneFactory(project=project).pk,
        "funds-in-place": FundsInPlaceFactory(project=project).pk,
        "figures": FigureFactory(project=project).pk,
        "follow-ups": FollowUpFactory(project=project).pk,
        "commitments": CommitmentFactory(project=project).pk,
        "commitment-observations": CommitmentObservationFactory(commitment__project=project).pk,
        "indicators": observation.pk,
        "indicator-definitions": observation.indicator.code,
        "sources": citation.source.slug,
        "citations": citation.pk,
        "warnings": ProjectWarningFactory(project=project).pk,
        "warning-rules": WarningRuleFactory(region=project.region).pk,
        "signing-events": SigningEventProjectFactory(project=project, event__region=project.region).event.pk,
        "project": project,
    }


def real_url(path: str, records: dict[str, Any], *, missing: bool = False) -> str | None:
    collection = [part for part in path.split("/") if part and not part.startswith("{") and part != "history"][-1]
    key = "no-such-record" if missing else records.get(collection)
    if "{key}" in path and key is None:
        return None
    return path.replace("{project}", records["project"].slug).replace("{key}", str(key))


def test_every_read_answers_a_documented_status_for_a_real_and_a_missing_record(document, records):
    undocumented = []
    client = APIClient()
    client.force_login(StaffUserFactory())  # histories and follow-ups are for signed-in readers
    for method, path, op in operations(document):
        if method != "get":
            continue
        for missing in (False, True) if "{" in path else (False,):
            url = real_url(path, records, missing=missing)
            query = {"group_by": "region"} if path.endswith("/summary/") else {}
            query = {"cohort": "signed_year"} if path.endswith("/funnel/") else query
            response = client.get(url, query)
            if str(response.status_code) not in op["responses"]:
                undocumented.append(f"GET {url}: {response.status_code}")
            if "{key}" in path:
                assert response.status_code == (404 if missing else 200), url
    assert undocumented == []


@pytest.fixture
def superuser() -> APIClient:
    client = APIClient()
    client.force_login(StaffUserFactory(is_superuser=True))
    client.credentials(HTTP_IF_MATCH="*")  # every change names a version: any, here
    return client


def test_the_errors_the_api_really_answers_are_documented_for_their_operation(document, superuser):
    project = ProjectFactory()
    company = ParticipantFactory(project=project).company
    region = project.region
    anonymous = APIClient()
    signed_in = APIClient()
    signed_in.force_login(StaffUserFactory(is_superuser=True))
    cases = [
        # (why, client, method, path template, url, body, expected status)
        ("a filter naming no region", anonymous, "get", "/projects/", "/projects/?region=999999", None, 400),
        ("a page past the end", anonymous, "get", "/projects/", "/projects/?page=99", None, 404),
        (
            "grouping by nothing known",
            anonymous,
            "get",
            "/projects/summary/",
            "/projects/summary/?group_by=x",
            None,
            400,
        ),
        ("no such project", anonymous, "get", "/projects/{key}/", "/projects/no-such-project/", None, 404),
        (
            "a sub-resource of no project",
            anonymous,
            "get",
            "/projects/{project}/milestones/",
            "/projects/no-such-project/milestones/",
            None,
            404,
        ),
        ("a verdict nobody gives", anonymous, "get", "/compliance/", "/compliance/?status=late", None, 400),
        (
            "a commitment in a unit that does not fit its kind",
            superuser,
            "post",
            "/projects/{project}/commitments/",
            f"/projects/{project.slug}/commitments/",
            {"kind": "tax_per_mu", "comparator": "at_least", "target": "30", "unit": "wan_yuan_per_mu"},
            400,
        ),
        ("an anonymous write", anonymous, "post", "/regions/", "/regions/", {"code": "339901"}, 401),
        ("an anonymous change", anonymous, "patch", "/projects/{key}/", f"/projects/{project.slug}/", {}, 401),
        ("an anonymous delete", anonymous, "delete", "/companies/{key}/", f"/companies/{company.slug}/", None, 401),
        ("an invalid region", superuser, "post", "/regions/", "/regions/", {"code": "", "level": "x"}, 400),
        (
            "a negative investment",
            superuser,
            "patch",
            "/projects/{key}/",
            f"/projects/{project.slug}/",
            {"planned_investment": "-1.00"},
            400,
        ),
        ("changing no project", superuser, "patch", "/projects/{key}/", "/projects/no-such-project/", {}, 404),
        ("a change without If-Match", signed_in, "patch", "/projects/{key}/", f"/projects/{project.slug}/", {}, 428),
        ("a delete without If-Match", signed_in, "delete", "/regions/{key}/", f"/regions/{region.code}/", None, 428),
        (
            "an anonymous history",
            anonymous,
            "get",
            "/projects/{key}/history/",
            f"/projects/{project.slug}/history/",
            None,
            401,
        ),
        (
            "adding to no project",
            superuser,
            "post",
            "/projects/{project}/milestones/",
            "/projects/no-such-project/milestones/",
            {"stage": "signed", "date": "2024-07-01", "date_precision": "month"},
            404,
        ),
        (
            "deleting a region with projects",
            superuser,
            "delete",
            "/regions/{key}/",
            f"/regions/{region.code}/",
            None,
            409,
        ),
        (
            "deleting an investor of a project",
            superuser,
            "delete",
            "/companies/{key}/",
            f"/companies/{company.slug}/",
            None,
            409,
        ),
    ]
    seen = []
    for why, client, method, template, url, body, _expected in cases:
        response = getattr(client, method)(f"{API}{url}", body, format="json")
        documented = operation(document, method, template)["responses"]
        seen.append((why, response.status_code, str(response.status_code) in documented))
        assert validate(document, {"$ref": ERROR_REF}, response.json()) == [], why
    assert seen == [(why, expected, True) for why, *_rest, expected in cases]


def test_a_write_that_loses_a_race_for_a_unique_key_is_a_documented_409(document, superuser, monkeypatch):
    """Two officers create the same region at once: both pass validation, the database refuses the second."""
    existing = ProjectFactory().region
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    monkeypatch.setattr(Region, "validate_unique", lambda self, exclude=None: None)
    payload = {"code": existing.code, "name": "Twin", "level": existing.level, "parent": existing.parent.code}
    response = superuser.post(f"{API}/regions/", payload, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "unique"
    assert "409" in operation(document, "post", "/regions/")["responses"]
    assert validate(document, {"$ref": ERROR_REF}, response.json()) == []


#
# Examples
#

# operationId -> the request whose answer (with the seed loaded) the example shows
EXAMPLE_REQUESTS = {
    "projects_list": "/projects/?region=331181",
    "projects_retrieve": f"/projects/{KELUN}/",
    "projects_summary": "/projects/summary/?group_by=region&region=331100",
    "regions_retrieve": "/regions/331181/",
    "indicators_list": "/indicators/?indicator=gdp-growth&region=331100",
    "indicators_retrieve": "/indicators/{gdp_growth}/",
}


def examples_of(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str, Any]]:
    """(operationId, response schema, example name, value) of every 2xx JSON example."""
    for _method, _path, op in operations(document):
        for status, response in op["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            for name, example in media.get("examples", {}).items():
                if status.startswith("2"):
                    yield op["operationId"], media["schema"], name, example["value"]


def test_the_main_operations_carry_an_example_from_the_article(document):
    assert {op_id for op_id, *_rest in examples_of(document)} >= set(EXAMPLE_REQUESTS)
    values = {op_id: value for op_id, _schema, _name, value in examples_of(document)}
    kelun = values["projects_list"]["results"][0]
    assert (kelun["slug"], kelun["planned_investment"], kelun["currency"]) == (KELUN, "2000000000.00", "CNY")
    assert (kelun["investment_qualifier"], kelun["region"]["code"]) == ("exact", "331181")
    assert values["projects_retrieve"]["lead_investor"]["slug"] == "sichuan-kelun-pharmaceutical"
    assert values["projects_summary"]["parent"]["code"] == "331100"
    assert [a["code"] for a in values["regions_retrieve"]["ancestors"]] == ["CN", "330000", "331100"]
    growth = values["indicators_retrieve"]
    assert (growth["indicator"]["code"], growth["period"], growth["value"]) == ("gdp-growth", "2024-H1", "6.9000")


def test_every_response_example_fits_its_schema(document):
    problems = {}
    for op_id, schema, name, value in examples_of(document):
        errors = validate(document, schema, value)
        if errors:
            problems[f"{op_id}/{name}"] = errors
    assert problems == {}


def test_a_stale_example_would_not_fit_its_schema(document):
    """The check above has teeth: a renamed field, a number for a text or a key is caught."""
    schema = operation(document, "get", "/projects/{key}/")["responses"]["200"]["content"]["application/json"]
    example = copy.deepcopy(next(iter(schema["examples"].values()))["value"])
    example["total_investment"] = example.pop("planned_investment")
    example["milestones"][0]["note"] = 7
    example["region"]["code"] = 2000000000.0
    errors = validate(document, schema["schema"], example)
    assert any("'total_investment' was unexpected" in error for error in errors)
    assert any("'planned_investment' is a required property" in error for error in errors)
    assert any(error.startswith("milestones/0/note") for error in errors)
    assert any(error.startswith("region") for error in errors)


def comparable(value: Any) -> Any:
    """An answer without what depends on when and in which order the seed was loaded."""
    if isinstance(value, dict):
        return {
            key: "<id>" if key == "id" else "<time>" if key in ("created_at", "updated_at") else comparable(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


@pytest.mark.parametrize("op_id", EXAMPLE_REQUESTS)
def test_each_example_is_what_the_api_answers_with_the_seed_loaded(document, op_id):
    seed_load()
    client = APIClient()
    # The examples show what a signed-in reader gets (a reader who is not signed in gets no follow-up log).
    client.force_authenticate(StaffUserFactory())
    gdp = Observation.objects.get(indicator__code="gdp-growth", region__code="331100", period="2024-H1")
    examples = {op_id: value for op_id, _schema, _name, value in examples_of(document)}
    response = client.get(API + EXAMPLE_REQUESTS[op_id].format(gdp_growth=gdp.pk))
    assert response.status_code == HTTPStatus.OK
    assert comparable(examples[op_id]) == comparable(response.json())
