"""An integrator can generate a Python client from the served document and use it (issue 4, point 10).

openapi-python-client builds a package from `/api/schema/?format=json`, offline; the package then
talks to a live server holding the article's data.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from core.seed import seed_load
from tests.factories import PASSWORD, StaffUserFactory

KELUN = "kelun-longquan-high-end-preparation-health-food"
PACKAGE = "tracker_client"


def generate_client(schema_url: str, workdir: Path, env: dict[str, str]) -> Path:
    """The generated package's parent folder, ready to go on sys.path."""
    with urllib.request.urlopen(schema_url, timeout=30) as response:  # noqa: S310 - the live test server
        document = json.load(response)
    schema = workdir / "schema.json"
    schema.write_text(json.dumps(document), encoding="utf-8")
    config = workdir / "config.json"
    # No post hooks: the client must build without formatters or the network.
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}), encoding="utf-8")
    output = workdir / "client"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate", "--path", str(schema)),
            *("--config", str(config), "--output-path", str(output), "--overwrite"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator warns about every part of the document it had to leave out.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert (output / PACKAGE / "__init__.py").is_file()
    return output


@pytest.fixture(scope="module")
def package(live_server, tmp_path_factory, django_db_blocker):
    """The package generated from the live server's document, imported (built once for the module)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with django_db_blocker.unblock():  # the server answers inside a transaction (ATOMIC_REQUESTS)
        path = generate_client(f"{live_server.url}/api/schema/?format=json", tmp_path_factory.mktemp("client"), env)
    sys.path.insert(0, str(path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def client(package, live_server):
    with package.Client(base_url=live_server.url, raise_on_unexpected_status=True, timeout=30) as client:
        yield client


def api(operation: str):
    return importlib.import_module(f"{PACKAGE}.api.projects.{operation}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_generated_client_finds_the_kelun_project_and_the_lishui_summary(client):
    seed_load()
    models = importlib.import_module(f"{PACKAGE}.models")

    project = api("projects_retrieve").sync(client=client, key=KELUN)
    assert isinstance(project, models.ProjectDetail)
    assert (project.planned_investment, project.currency.value) == ("2000000000.00", "CNY")
    assert project.region.code == "331181"
    assert project.lead_investor.slug == "sichuan-kelun-pharmaceutical"

    page = api("projects_list").sync(client=client, region="331181", search="Kolen")
    assert isinstance(page, models.PaginatedProjectList)
    assert [(row.slug, row.planned_investment) for row in page.results] == [(KELUN, "2000000000.00")]

    group_by = models.ProjectsSummaryGroupBy.REGION
    summary = api("projects_summary").sync(client=client, group_by=group_by, region="331100")
    assert isinstance(summary, models.Summary)
    rows = {row.key: (row.project_count, row.total_investment) for row in summary.rows}
    assert rows["331181"] == (1, "2000000000.00")
    assert summary.totals.total_investment == "4950000000.00"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_generated_client_gets_errors_as_typed_objects(client):
    models = importlib.import_module(f"{PACKAGE}.models")

    missing = api("projects_retrieve").sync_detailed(client=client, key="no-such-project")
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Error)
    assert missing.parsed.error.code == "not_found"

    group_by = models.ProjectsSummaryGroupBy.REGION
    invalid = api("projects_summary").sync_detailed(client=client, group_by=group_by, region="0")
    assert invalid.status_code == 400
    assert isinstance(invalid.parsed, models.Error)
    assert "region" in invalid.parsed.error.fields.additional_properties


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_module_of_the_generated_client_imports(package):
    """Every operation, creates and updates included: a request body offered under several media types once made
    the generator write modules that fail on import (`NameError: Unset`)."""
    import pkgutil

    failed = {}
    names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # every failure is reported, not the first
            failed[name] = repr(exc)
    assert len(names) > 100
    assert failed == {}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_through_the_generated_client_alone_an_integrator_signs_in_creates_reads_and_updates_a_project(
    package, live_server
):
    """Token, create, a conditional read (304) and conditional updates (200, then 412 with the stale ETag)."""
    seed_load()
    officer = StaffUserFactory(is_superuser=True)
    models = importlib.import_module(f"{PACKAGE}.models")
    auth = importlib.import_module(f"{PACKAGE}.api.auth.auth_token_create")
    with package.Client(base_url=live_server.url, timeout=30) as anonymous:
        credentials = models.CredentialsRequest.from_dict({"username": officer.username, "password": PASSWORD})
        token = auth.sync(client=anonymous, body=credentials).token

    with package.AuthenticatedClient(base_url=live_server.url, token=token, timeout=30) as client:
        body = models.ProjectDetailRequest.from_dict({"name": "丽水经开区半导体封装项目", "region": "331102"})
        created = api("projects_create").sync_detailed(client=client, body=body)
        assert created.status_code == 201, created.content
        key, etag = created.parsed.slug, created.headers["etag"]
        assert key == "li-shui-jing-kai-qu-ban-dao-ti-feng-zhuang-xiang-mu"

        unchanged = api("projects_retrieve").sync_detailed(key, client=client, if_none_match=etag)
        assert unchanged.status_code == 304

        patch = models.PatchedProjectDetailRequest.from_dict({"name_zh": "半导体封装"})
        updated = api("projects_partial_update").sync_detailed(key, client=client, body=patch, if_match=etag)
        assert updated.status_code == 200, updated.content
        assert updated.parsed.name_zh == "半导体封装"

        stale = api("projects_partial_update").sync_detailed(key, client=client, body=patch, if_match=etag)
        assert stale.status_code == 412
        assert isinstance(stale.parsed, models.Error)
