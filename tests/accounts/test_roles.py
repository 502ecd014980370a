"""Roles by resources by actions (issue 5, point 2): one table says what every role gets from every
collection of the API, and each refusal is checked to have left the database as it was.

The world is the article's seed data plus one deletable record per row of the table, and a
regional editor of Liandu District (331102). "In Liandu" means inside its subtree (the Baiqiao
block 331102-BQ included); "elsewhere" is Longquan (331181, the Kelun project), Lishui City itself
or Sichuan (510000).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.roles import Role
from companies.models import Company
from core.seed import seed_load
from figures.models import Figure
from indicators.models import Indicator, Observation
from industries.models import Industry
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from regions.models import Region
from sources.models import Citation, Source
from tests.accounts import for_the_module, user_with_role
from tests.contract import error_of
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    IndicatorFactory,
    IndustryFactory,
    MilestoneFactory,
    ObservationFactory,
    ParticipantFactory,
    SourceFactory,
    ZoneFactory,
)

LIANDU, LONGQUAN, LISHUI, SICHUAN = "331102", "331181", "331100", "510000"
BAIQIAO_BLOCK = "331102-BQ"
BAIQIAO_PROJECT = "baiqiao-beautiful-healthy-project-1"  # in the Baiqiao block, so in Liandu
KELUN_PROJECT = "kelun-longquan-high-end-preparation-health-food"  # in Longquan
IN_LIANDU = f"/api/v1/projects/{BAIQIAO_PROJECT}"
IN_LONGQUAN = f"/api/v1/projects/{KELUN_PROJECT}"

ACTIONS = ("list", "retrieve", "create", "update", "delete")
WRITES = {"create", "update", "delete"}

# What a regional editor of Liandu gets for create, update (PATCH) and delete on a row:
MAY = (201, 200, 204)  # a record located in Liandu
ELSEWHERE = (400, 403, 403)  # located elsewhere: the new record's region field is refused (400, naming it)
ELSEWHERE_BY_URL = (403, 403, 403)  # a sub-resource of a project elsewhere: the project comes from the URL
BUREAU_ONLY = (403, 403, 403)  # shared taxonomy (industries, indicator definitions)
ADD_ONLY = (201, 403, 403)  # sources and quotes: editors add them, the bureau keeps them (EDITOR_ADD_ONLY)

# The contract: per role, the status of list, retrieve, create, update and delete.
ANONYMOUS = (200, 200, 401, 401, 401)
VIEWER = (200, 200, 403, 403, 403)
BUREAU_ADMIN = (200, 200, 201, 200, 204)
# The bureau's working notes are not published (API_ANONYMOUS_FOLLOW_UPS).
SIGNED_IN_READS = {"follow-ups of a project"}


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def project(slug: str) -> Project:
    return Project.objects.get(slug=slug)


@dataclass(frozen=True)
class Row:
    """One collection seen through one record: where it is, how it is written, what an editor may do."""

    resource: str
    place: str
    url: str
    model: type[Model]
    record: Callable[[], Model]  # makes the existing record that retrieve, update and delete act on
    create: dict[str, Any]
    update: dict[str, Any]
    editor: tuple[int, int, int]
    key: str = "pk"
    located_by: str | None = None  # the field that places a new record in a region

    @property
    def json_key(self) -> str:
        return "id" if self.key == "pk" else self.key

    @property
    def name(self) -> str:
        return f"{self.resource} {self.place}".strip()


ROWS = [
    Row(
        "regions", "in Liandu", "/api/v1/regions/", Region,
        record=lambda: ZoneFactory(parent=region(LIANDU)),
        create={"code": "331102-Z9", "name": "Liandu new zone", "level": "development_zone", "parent": LIANDU},
        update={"name": "Liandu renamed zone"},
        editor=MAY, key="code", located_by="parent",
    ),
    Row(
        "regions", "in Longquan", "/api/v1/regions/", Region,
        record=lambda: ZoneFactory(parent=region(LONGQUAN)),
        create={"code": "331181-Z9", "name": "Longquan new zone", "level": "development_zone", "parent": LONGQUAN},
        update={"name": "Longquan renamed zone"},
        editor=ELSEWHERE, key="code", located_by="parent",
    ),
    Row(
        "industries", "", "/api/v1/industries/", Industry,
        record=lambda: IndustryFactory(code="CHAIN-CERAMICS", name="Celadon ceramics"),
        create={"code": "CHAIN-SWORDS", "name": "Longquan swords", "scheme": "chain", "parent": None},
        update={"name": "Celadon and ceramics"},
        editor=BUREAU_ONLY, key="code",
    ),
    Row(
        "companies", "in Liandu", "/api/v1/companies/", Company,
        record=lambda: CompanyFactory(headquarters=region(LIANDU)),
        create={"name": "Liandu Beauty Co.", "slug": "liandu-beauty", "kind": "enterprise", "headquarters": LIANDU},
        update={"name": "Liandu Beauty and Health Co., Ltd."},
        editor=MAY, located_by="headquarters",
    ),
    Row(
        "companies", "in Sichuan", "/api/v1/companies/", Company,
        record=lambda: CompanyFactory(headquarters=region(SICHUAN)),
        create={"name": "Chengdu Pharma Co.", "slug": "chengdu-pharma", "kind": "enterprise", "headquarters": SICHUAN},
        update={"name": "Chengdu Pharmaceutical Co., Ltd."},
        editor=ELSEWHERE, located_by="headquarters",
    ),
    Row(
        "projects", "in Liandu", "/api/v1/projects/", Project,
        record=lambda: project(BAIQIAO_PROJECT),
        create={"name": "Baiqiao cosmetics plant", "slug": "baiqiao-cosmetics", "region": BAIQIAO_BLOCK},
        update={"name": "Baiqiao beautiful-and-healthy project 1, renamed"},
        editor=MAY, located_by="region",
    ),
    Row(
        "projects", "in Longquan", "/api/v1/projects/", Project,
        record=lambda: project(KELUN_PROJECT),
        create={"name": "Longquan celadon park", "slug": "longquan-celadon", "region": LONGQUAN},
        update={"name": "Kelun project, renamed"},
        editor=ELSEWHERE, located_by="region",
    ),
    *[
        Row(
            f"{resource} of a project", place, f"{base}/{resource}/", model,
            record=lambda factory=factory, slug=slug: factory(project=project(slug)),
            create=create, update=update,
            editor=editor,
        )
        for place, base, slug, editor in [
            ("in Liandu", IN_LIANDU, BAIQIAO_PROJECT, MAY),
            ("in Longquan", IN_LONGQUAN, KELUN_PROJECT, ELSEWHERE_BY_URL),
        ]
        for resource, model, factory, create, update in [
            (
                "participants", Participant,
                lambda project: ParticipantFactory(project=project, company=CompanyFactory(), role="partner"),
                {"company": "baidu", "role": "investor"},
                {"note": "Supplies the packaging line."},
            ),
            (
                "milestones", Milestone,
                lambda project: MilestoneFactory(project=project, stage="negotiating", date=dt.date(2024, 3, 1)),
                {"stage": "signed", "date": "2024-07-01", "date_precision": "month"},
                {"note": "Signed at the Lishui investment fair."},
            ),
            (
                "funds-in-place", FundsInPlace,
                lambda project: FundsInPlaceFactory(project=project, as_of=dt.date(2024, 3, 31)),
                {"as_of": "2024-06-30", "amount": "300000000.00", "qualifier": "exact"},
                {"amount": "260000000.00"},
            ),
            (
                "figures", Figure,
                lambda project: FigureFactory(project=project, period="2023"),
                {"metric": "revenue", "label": "H1 revenue", "period": "2024-H1", "value": "150000000", "unit": "yuan"},
                {"value": "160000000.0000"},
            ),
            (
                "follow-ups", FollowUp,
                lambda project: FollowUpFactory(project=project),
                {"happened_on": "2024-07-02", "action": "Met the investor.", "next_step_due": "2024-07-20"},
                {"next_step": "Sign the land-use agreement."},
            ),
        ]
    ],
    Row(
        "indicators", "in Liandu", "/api/v1/indicators/", Observation,
        record=lambda: ObservationFactory(region=region(LIANDU), indicator=Indicator.objects.get(code="gdp-growth")),
        create={"region": LIANDU, "indicator": "gdp-growth", "period": "2024-H1", "value": "7.2"},
        update={"value": "7.3000"},
        editor=MAY, located_by="region",
    ),
    Row(
        "indicators", "in Lishui City", "/api/v1/indicators/", Observation,
        record=lambda: Observation.objects.get(region__code=LISHUI, indicator__code="gdp-growth"),
        create={"region": LONGQUAN, "indicator": "gdp-growth", "period": "2024-H1", "value": "7.0"},
        update={"value": "7.0000"},
        editor=ELSEWHERE, located_by="region",
    ),
    Row(
        "indicator-definitions", "", "/api/v1/indicator-definitions/", Indicator,
        record=lambda: IndicatorFactory(code="fdi-growth", name="Foreign direct investment growth"),
        create={"code": "exports-growth", "name": "Exports growth", "unit": "percent"},
        update={"name": "Foreign investment growth"},
        editor=BUREAU_ONLY, key="code",
    ),
    Row(
        "sources", "", "/api/v1/sources/", Source,
        record=lambda: SourceFactory(slug="liandu-bulletin"),
        create={"slug": "longquan-bulletin", "title": "Longquan statistical bulletin", "kind": "statistical_bulletin"},
        update={"title": "Liandu statistical bulletin, revised"},
        editor=ADD_ONLY,
    ),
    Row(
        "citations", "", "/api/v1/citations/", Citation,
        record=lambda: CitationFactory(source=Source.objects.get(slug="lishui-article")),
        create={"source": "lishui-article", "locator": "L13", "quote": "Liandu set up a leading area."},
        update={"locator": "L14"},
        editor=ADD_ONLY,
    ),
]  # fmt: skip


def outcomes(role: Role, row: Row) -> tuple[int, ...]:
    """The status of list, retrieve, create, update and delete for `role` on `row`."""
    if role == Role.ANONYMOUS and row.resource in SIGNED_IN_READS:
        return (401, 401, 401, 401, 401)
    if role == Role.REGIONAL_EDITOR:
        return (200, 200, *row.editor)
    return {Role.ANONYMOUS: ANONYMOUS, Role.VIEWER: VIEWER, Role.BUREAU_ADMIN: BUREAU_ADMIN}[role]


@dataclass
class World:
    """The seeded database of the module: each row's record, and a token per signed-in role."""

    records: dict[str, Model] = field(default_factory=dict)
    tokens: dict[Role, str] = field(default_factory=dict)

    def client(self, role: Role) -> APIClient:
        client = APIClient()
        if role in self.tokens:
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[role]}")
        return client

    def key(self, row: Row) -> str:
        return str(getattr(self.records[row.name], row.key))

    def detail_url(self, row: Row) -> str:
        return f"{row.url}{self.key(row)}/"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with for_the_module(django_db_blocker):
        seed_load()
        world = World(records={row.name: row.record() for row in ROWS})
        users = {
            Role.VIEWER: user_with_role(Role.VIEWER),
            Role.REGIONAL_EDITOR: user_with_role(Role.REGIONAL_EDITOR, regions=(LIANDU,), is_staff=True),
            Role.BUREAU_ADMIN: user_with_role(Role.BUREAU_ADMIN),
        }
        world.tokens = {role: AuthToken.objects.create(user=user)[1] for role, user in users.items()}
        yield world


def table(model: type[Model]) -> list[dict[str, Any]]:
    return list(model._base_manager.order_by("pk").values())


def perform(client: APIClient, world: World, row: Row, action: str):
    if action == "list":
        return client.get(row.url)
    if action == "retrieve":
        return client.get(world.detail_url(row))
    if action == "create":
        return client.post(row.url, row.create, format="json")
    # Who may write is the question here, not which version: `If-Match: *` (tests/test_conditional.py).
    if action == "update":
        return client.patch(world.detail_url(row), row.update, format="json", headers={"if-match": "*"})
    return client.delete(world.detail_url(row), headers={"if-match": "*"})


CELLS = [
    pytest.param(role, row, action, expected, id=f"{role.value}-{row.name}-{action}")
    for role in Role
    for row in ROWS
    for action, expected in zip(ACTIONS, outcomes(role, row), strict=True)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "row", "action", "expected"), CELLS)
def test_every_role_gets_its_due_from_every_resource(world, role, row, action, expected):
    before = table(row.model)
    response = perform(world.client(role), world, row, action)
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert table(row.model) == before, "a refused request changed the table"
        assert error_of(response)["message"]
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected == 400:
        assert row.located_by in error_of(response)["fields"]
    key = world.key(row)
    if action == "list" and expected == 200:
        assert key in [str(item[row.json_key]) for item in response.json()["results"]]
    elif action == "retrieve" and expected == 200:
        assert str(response.json()[row.json_key]) == key
    elif action in WRITES and expected < 400:
        assert table(row.model) != before


#
# Reads closed by the setting
#

ONE_ROW_PER_RESOURCE = list({row.resource: row for row in reversed(ROWS)}.values())[::-1]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["list", "retrieve"])
@pytest.mark.parametrize("row", ONE_ROW_PER_RESOURCE, ids=[row.resource for row in ONE_ROW_PER_RESOURCE])
def test_with_anonymous_reads_closed_a_read_needs_credentials(world, row, action):
    with override_settings(API_ANONYMOUS_READS=False):
        anonymous = perform(world.client(Role.ANONYMOUS), world, row, action)
        viewer = perform(world.client(Role.VIEWER), world, row, action)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert error_of(anonymous)["code"] == "not_authenticated"
    assert viewer.status_code == 200


#
# Moving records into or out of an editor's territory
#

MOVES_OUT = [
    ("projects in Liandu", "region", LONGQUAN),
    ("companies in Liandu", "headquarters", SICHUAN),
    ("indicators in Liandu", "region", LONGQUAN),
    ("regions in Liandu", "parent", LONGQUAN),
]
MOVES_IN = [
    ("projects in Longquan", "region", BAIQIAO_BLOCK),
    ("companies in Sichuan", "headquarters", LIANDU),
    ("indicators in Lishui City", "region", LIANDU),
    ("regions in Longquan", "parent", LIANDU),
]
ROW_BY_NAME = {row.name: row for row in ROWS}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "field_name", "code"), MOVES_OUT, ids=[move[0] for move in MOVES_OUT])
def test_an_editor_cannot_move_a_record_out_of_their_regions(world, name, field_name, code):
    row = ROW_BY_NAME[name]
    before = table(row.model)
    response = world.client(Role.REGIONAL_EDITOR).patch(
        world.detail_url(row), {field_name: code}, format="json", headers={"if-match": "*"}
    )
    assert response.status_code == 400
    [error] = error_of(response)["fields"][field_name]
    assert error["code"] == "out_of_scope"
    assert error["message"] == f"Region {code} lies outside your regions ({LIANDU})."
    assert table(row.model) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "field_name", "code"), MOVES_IN, ids=[move[0] for move in MOVES_IN])
def test_an_editor_cannot_pull_a_record_into_their_regions(world, name, field_name, code):
    row = ROW_BY_NAME[name]
    before = table(row.model)
    response = world.client(Role.REGIONAL_EDITOR).patch(
        world.detail_url(row), {field_name: code}, format="json", headers={"if-match": "*"}
    )
    assert response.status_code == 403
    assert "outside your regions (331102)" in error_of(response)["message"]
    assert table(row.model) == before


@pytest.mark.django_db
def test_an_editor_may_move_a_record_within_their_regions(world):
    row = ROW_BY_NAME["projects in Liandu"]
    response = world.client(Role.REGIONAL_EDITOR).patch(
        world.detail_url(row), {"region": LIANDU}, format="json", headers={"if-match": "*"}
    )
    assert response.status_code == 200, response.json()
    assert project(BAIQIAO_PROJECT).region.code == LIANDU


@pytest.mark.django_db
def test_an_editor_may_rewrite_their_own_district_which_keeps_its_city_as_parent(world):
    editor = world.client(Role.REGIONAL_EDITOR)
    liandu = editor.get(f"/api/v1/regions/{LIANDU}/").json()
    payload = {"code": LIANDU, "name": "Liandu District", "name_zh": "莲都区", "level": "district", "parent": LISHUI}
    response = editor.put(
        f"/api/v1/regions/{LIANDU}/", {**payload, "aliases": ["Liantou"]}, format="json", headers={"if-match": "*"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["parent"] == liandu["parent"]
    assert region(LIANDU).aliases == ["Liantou"]


@pytest.mark.django_db
def test_an_editor_of_two_regions_writes_in_both_and_nowhere_else(world):
    user = user_with_role(Role.REGIONAL_EDITOR, regions=(LIANDU, "331121"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    payloads = {
        code: {"name": f"Project in {code}", "slug": f"project-{code}", "region": code}
        for code in (LIANDU, "331121", LONGQUAN)
    }
    statuses = {
        code: client.post("/api/v1/projects/", payload, format="json").status_code for code, payload in payloads.items()
    }
    assert statuses == {LIANDU: 201, "331121": 201, LONGQUAN: 400}
    assert sorted(Project.objects.filter(slug__startswith="project-").values_list("region__code", flat=True)) == [
        LIANDU,
        "331121",
    ]
