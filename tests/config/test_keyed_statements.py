"""Statements compiled once per process (`core.querysets.KeyedStatement`): a record's version for a 304 and a
project's JSON detail are read by SQL compiled from the viewset's queryset on first use, then run for any key.

That is only right where the queryset is the same for every request (`TrackerViewSet.fixed_querysets`), and
only if the statement finds what the ORM would find.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import JSONField
from django.db.models.functions import Cast
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

import config.api_router  # noqa: F401 - registers every collection on the router
from config.routers import router
from config.viewsets import _STATEMENTS
from core.querysets import KeyedStatement, with_literals
from projects.models import Project
from projects.selectors import DETAIL_ROW_COLUMNS, project_detail_row_queryset
from regions.models import Region
from tests.contract import client_for
from tests.factories import ProjectFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

FIXED = {prefix: viewset for prefix, viewset, _basename in router.registry if viewset.fixed_querysets}


def test_every_top_level_collection_compiles_its_statements_once_and_no_nested_one_does():
    nested = {prefix for prefix, _viewset, _basename in router.registry if "(?P<" in prefix}
    assert nested, "the router has nested collections (a project's milestones, ...)"
    # A nested collection's queryset filters by the parent the URL names: compiled once, it would keep the first.
    assert set(FIXED) == {prefix for prefix, _viewset, _basename in router.registry} - nested


def _queryset_sql(viewset, *, user, key: str, query: str, accepted: str) -> str:
    request = Request(APIRequestFactory().get(f"/api/v1/any/{key}/{query}"))
    request.user = user
    request.accepted_renderer = SimpleNamespace(format=accepted)
    view = viewset(action="retrieve", kwargs={"key": key}, args=(), format_kwarg=None, request=request)
    sql, params = view.get_queryset().query.sql_with_params()
    return f"{sql} {params!r}"


@pytest.mark.parametrize("accepted", ["json", "api"])
@pytest.mark.parametrize("prefix", sorted(FIXED))
def test_a_fixed_queryset_is_the_same_whoever_asks_for_whatever_key_and_parameters(prefix, accepted):
    viewset = FIXED[prefix]
    anonymous = _queryset_sql(viewset, user=AnonymousUser(), key="1", query="", accepted=accepted)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    other = _queryset_sql(viewset, user=superuser, key="other-key", query="?search=x&page=3", accepted=accepted)
    assert anonymous == other


def test_a_keyed_statement_finds_what_the_orm_finds_by_id_and_by_slug():
    projects = ProjectFactory.create_batch(3)
    queryset = project_detail_row_queryset()
    for field, key_of, missing in [("pk", lambda p: str(p.pk), "999999999"), ("slug", lambda p: p.slug, "no-such")]:
        statement = KeyedStatement(queryset, field, DETAIL_ROW_COLUMNS)
        for project in projects:
            row = statement.fetch(key_of(project))
            assert row == queryset.filter(**{field: key_of(project)}).values_list(*DETAIL_ROW_COLUMNS).first()
            assert row[:3] == (project.pk, project.slug, project.version)
        assert statement.fetch(missing) is None


def test_a_keyed_statement_sends_the_key_alone_with_its_constants_written_into_the_sql():
    project = ProjectFactory(name="Ceramics 100% kiln")
    statement = KeyedStatement(project_detail_row_queryset(), "pk", DETAIL_ROW_COLUMNS)
    assert statement.sql.count("%s") == 1
    assert "'participants'" in statement.sql  # a JSON key, once a parameter
    row = statement.fetch(str(project.pk))
    assert row == project_detail_row_queryset().filter(pk=project.pk).values_list(*DETAIL_ROW_COLUMNS).first()


def test_constants_are_written_as_psycopgs_literals_and_percent_signs_stay_escaped():
    sql = "SELECT %s, '100%%', %s || %s, %s::text"
    written = with_literals(sql, ["it's", 50, "5% off", "key"], keep=3, context=connection.connection)
    assert written == "SELECT 'it''s', '100%%', 50 || '5%% off', %s::text"
    with connection.cursor() as cursor:
        cursor.execute(written, ["a key"])
        assert cursor.fetchone() == ("it's", "100%", "505% off", "a key")
    with pytest.raises(ValueError, match="3 placeholders for 4 parameters"):
        with_literals("SELECT %s, %s, %s", [1, 2, 3, 4], keep=0, context=connection.connection)


def test_a_keyed_statement_reads_the_row_as_it_is_now_not_as_it_was_compiled():
    region = RegionFactory()
    statement = KeyedStatement(Region.objects.all(), "code", ("version", "name"))
    assert statement.fetch(region.code) == (1, region.name)
    Region.objects.filter(pk=region.pk).update(name="Renamed")
    assert statement.fetch(region.code) == (2, "Renamed")


def test_a_keyed_statement_refuses_what_it_could_not_read_as_the_orm_does():
    # A JSON column is converted by the ORM on the way out; the raw row would hand out its text.
    with pytest.raises(ValueError, match="need converting"):
        KeyedStatement(Project.objects.annotate(as_json=Cast("name", JSONField())), "pk", ("as_json",))
    # A key of a type it has no stand-in for.
    with pytest.raises(ValueError, match="no stand-in"):
        KeyedStatement(Project.objects.all(), "created_at", ("id",))


def test_a_304_and_a_detail_compile_their_statements_once_and_then_reuse_them():
    project = ProjectFactory()
    anonymous = client_for()
    url = f"/api/v1/projects/{project.pk}/"
    etag = anonymous.get(url)["ETag"]
    assert anonymous.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # A key no id matches is then tried as a slug: one more statement, compiled on its first use.
    assert anonymous.get("/api/v1/projects/999999999/").status_code == 404
    compiled_before = dict(_STATEMENTS)
    for _ in range(3):
        assert anonymous.get(url).status_code == 200
        assert anonymous.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert anonymous.get("/api/v1/projects/999999999/").status_code == 404
    assert compiled_before == _STATEMENTS
