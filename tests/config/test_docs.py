"""The API documents itself, and its docs pages work on a machine with no internet."""

import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

ABSOLUTE_URL = re.compile(r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']|url\(\s*["']?((?:https?:)?//[^)"']+)""")
pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](/static/[^"']+)["']""")


def test_the_schema_is_served_as_openapi_3_json():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Investment Project Tracker API"


def test_the_schema_is_yaml_by_default():
    response = Client().get("/api/schema/")
    assert response.status_code == HTTPStatus.OK
    assert response.content.startswith(b"openapi: 3.")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_every_asset_from_this_server(page):
    client = Client()
    response = client.get(page)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()

    foreign = [a or b for a, b in ABSOLUTE_URL.findall(html) if urlsplit(a or b).hostname not in {None, "testserver"}]
    assert foreign == [], f"{page} refers to other hosts"

    assets = ASSET.findall(html)
    assert any(asset.endswith(".js") for asset in assets), "the page loads its scripts from /static/"
    for asset in assets:
        asset_response = client.get(asset)
        assert asset_response.status_code == HTTPStatus.OK, asset
        body = b"".join(asset_response.streaming_content) if asset_response.streaming else asset_response.content
        assert body, asset
        if asset.endswith(".css"):
            css_urls = re.findall(rb"url\(\s*[\"']?((?:https?:)?//[^)\"']+)", body)
            assert css_urls == [], f"{asset} pulls resources from other hosts"


def test_the_admin_login_page_is_served():
    response = Client().get("/admin/login/")
    assert response.status_code == HTTPStatus.OK


# --- the contract in the repository (docs/api.md) -------------------------------------------------------------------

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "api.md"
PATH_IN_CONTRACT = re.compile(r"`(/api/v1/[^`\s]*)`")
# Parameters every list takes, described once for all of them on the page.
PAGING = {"page", "page_size", "cursor", "ordering", "format", "as_of"}  # as_of: where records have a history


def schema_paths() -> dict[str, dict]:
    return Client().get("/api/schema/", {"format": "json"}).json()["paths"]


def contract_section(title: str) -> str:
    text = CONTRACT.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_every_operation_of_the_schema_is_in_the_contract_and_no_other():
    listed = set(PATH_IN_CONTRACT.findall(contract_section("Operations")))
    assert listed == set(schema_paths())


def test_the_contract_names_every_filter_of_each_list():
    section = contract_section("List parameters")
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in section.splitlines() if line.count("|") >= 3}
    collections = {
        "projects (and the summary, without the paging ones)": "projects",
        "regions": "regions",
        "companies": "companies",
        "industries": "industries",
        "indicators": "indicators",
        "sources": "sources",
        "citations": "citations",
        "indicator definitions": "indicator-definitions",
    }
    paths = schema_paths()
    for row, collection in collections.items():
        parameters = {p["name"] for p in paths[f"/api/v1/{collection}/"]["get"]["parameters"]} - PAGING
        assert set(re.findall(r"`(\w+)`", rows[row])) == parameters, collection
    summary = {p["name"] for p in paths["/api/v1/projects/summary/"]["get"]["parameters"]} - PAGING - {"group_by"}
    assert summary <= set(re.findall(r"`(\w+)`", rows["projects (and the summary, without the paging ones)"]))
