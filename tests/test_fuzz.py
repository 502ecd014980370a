"""Schemathesis fuzzes every operation of the served OpenAPI document as each role (issue 5, point 6).

For anonymous clients, viewers and regional editors (of Liandu, 331102), every operation gets at
least 100 generated requests, valid and invalid, with the seed data loaded; about half of them name
real records (see `_Known`). Every answer must be no server error, have a status the document lists
for the operation, a content type it lists, and a body that fits the schema it gives for that status.

The document is the one the application serves, loaded in-process through WSGI, and the requests
go to that same WSGI application. The work is split over two worker processes, one per core, each
with its own copy of the migrated test database: a role's operations are dealt out between them,
and each worker runs its share inside a transaction that it rolls back. Hypothesis runs from a
fixed seed (schemathesis mixes it with each operation's name), so every run sends the same requests.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROLES = ("anonymous", "viewer", "editor")
WORKERS = 2
EXAMPLES = 100
SEED = 20240701
TIMEOUT = 600  # seconds a role may take before the test gives up on its workers
# `Authorization` and `Cookie` are the roles' business: without this, schemathesis would make up a
# token for every request, and an anonymous client would only ever meet 401s. The coverage phase
# is left out to keep to the time budget: the fuzzing phase already draws valid and invalid data.
CONFIG = {
    "seed": SEED,
    "generation": {"with-security-parameters": False},
    "phases": {"coverage": {"enabled": False}},
}
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


#
# In the workers (spawned: they import Django themselves, so Django is imported inside functions)
#


def _start_worker(databases: multiprocessing.Queue) -> None:
    """Set Django up against a database of this worker's own."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.db import connections

    connections["default"].settings_dict.update(databases.get())


def _fuzz(role: str, share: int, shares: int) -> dict[str, Any]:
    """Run share `share` of `shares` of the operations as `role`; the database is left as it was."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection, transaction

    try:
        with transaction.atomic():
            try:
                # A rollback leaves sequences where they got to: restart them, so that the records get the
                # same ids (and the requests the same keys) whichever worker runs a share, after whatever.
                with connection.cursor() as cursor:
                    for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
                        cursor.execute(statement)
                return _fuzz_share(role, share, shares)
            finally:
                transaction.set_rollback(True)
    except (Exception, BaseExceptionGroup) as exc:  # reported, rather than killing the worker and its task
        return {"error": "".join(traceback.format_exception(exc))[-20_000:]}


def _fuzz_share(role: str, share: int, shares: int) -> dict[str, Any]:
    import logging

    import schemathesis
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from schemathesis.checks import not_a_server_error
    from schemathesis.pytest.lazy import get_all_tests
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from config.wsgi import application
    from core.seed import seed_load

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    # The WSGI handler would close the connection, and with it the transaction, after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # 4xx and 5xx are this test's to report

    seed_load()
    user = _user(role)
    token = _Token(user)
    counts: dict[str, int] = {}
    statuses: dict[str, dict[int, int]] = {}

    def check(case) -> None:
        counts[case.operation.label] = counts.get(case.operation.label, 0) + 1
        response = case.call_and_validate(headers=token.header(case.operation.path), checks=checks)
        answered = statuses.setdefault(case.operation.label, {})
        answered[response.status_code] = answered.get(response.status_code, 0) + 1

    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, config=schemathesis.Config.from_dict(CONFIG)
    )
    known = _Known()
    for hook in known.hooks():
        schema.hook(hook)
    tests = list(get_all_tests(schema=schema, test_func=check, settings=SETTINGS, given_kwargs={}))
    labels, results = [], []
    for index, result in enumerate(tests):
        operation, test = result.ok()  # an operation schemathesis cannot read fails the test here
        labels.append(operation.label)
        if index % shares != share:
            continue
        token.renew()
        known.refresh()  # what earlier operations created or deleted
        failure = None
        try:
            test()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports its findings in a BaseExceptionGroup
            failure = "".join(traceback.format_exception(exc))[-20_000:]
        inputs = [operation.path_parameters, operation.query, operation.headers, operation.cookies, operation.body]
        results.append(
            {
                "label": operation.label,
                "cases": counts.get(operation.label, 0),
                "failure": failure,
                "takes_input": any(len(list(part)) for part in inputs),
                "statuses": statuses.get(operation.label, {}),
            }
        )
    return {"labels": labels, "results": results}


class _Known:
    """Keys of the records in the database, for the hooks to put into about half the requests.

    Generated keys almost never name a record: without real ones, every detail, write and
    sub-resource operation would only ever answer 404, and every filter by code 400. A hook leaves
    a generated value as it is or replaces it with a real key: `path_parameters` (a record and, for
    a project's records, the project with it), filters by key in `query`, and relations in `body`.
    """

    # (collection or "*", parameter or field) -> kind of key
    RELATIONS = {
        ("*", "region"): "regions",
        ("*", "within"): "regions",
        ("*", "headquarters"): "regions",
        ("regions", "parent"): "regions",
        ("industries", "parent"): "industries",
        ("industries", "within"): "industries",
        ("companies", "parent"): "companies",
        ("*", "industry"): "industries",
        ("*", "industries"): "industries",
        ("*", "company"): "companies",
        ("*", "investor"): "companies",
        ("*", "programme"): "programmes",
        ("*", "source"): "sources",
        ("*", "indicator"): "indicator-definitions",
        ("*", "citation"): "citations",
        ("*", "investment_citation"): "citations",
        ("*", "parent_citation"): "citations",
        ("*", "tracked_by"): "usernames",
        ("*", "credit_code"): "credit-codes",
        ("*", "commitment"): "commitment-ids",
        ("compliance", "project"): "projects",
        ("signing-events", "projects"): "projects",
    }
    CHILDREN = (
        "participants", "milestones", "funds-in-place", "figures", "follow-ups", "commitments",
        "commitment-observations",
    )  # fmt: skip

    def __init__(self) -> None:
        self.keys: dict[str, list[str]] = {}
        self.children: dict[str, list[dict[str, str]]] = {}

    def refresh(self) -> None:
        from django.contrib.auth import get_user_model

        from commitments.models import Commitment, CommitmentObservation
        from companies.models import Company
        from figures.models import Figure
        from indicators.models import Indicator, Observation
        from industries.models import Industry
        from oversight.models import SigningEvent
        from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
        from regions.models import Region
        from sources.models import Citation, Source

        def ids(model) -> list[str]:
            return [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)]

        def column(queryset, name: str) -> list[str]:
            return [value for value in queryset.order_by(name).values_list(name, flat=True) if value]

        self.keys = {
            "regions": column(Region.objects, "code"),
            "industries": column(Industry.objects, "code"),
            "companies": column(Company.objects, "slug") + ids(Company),
            "projects": column(Project.objects, "slug") + ids(Project),
            "programmes": column(Project.objects.filter(kind="programme"), "slug"),
            "indicators": ids(Observation),
            "indicator-definitions": column(Indicator.objects, "code"),
            "sources": column(Source.objects, "slug") + ids(Source),
            "citations": ids(Citation),
            "usernames": column(get_user_model().objects, "username"),
            "credit-codes": column(Company.objects, "credit_code"),
            "commitment-ids": ids(Commitment),
            "signing-events": ids(SigningEvent),
        }
        models = dict(
            zip(
                self.CHILDREN,
                (Participant, Milestone, FundsInPlace, Figure, FollowUp, Commitment, CommitmentObservation),
                strict=True,
            )
        )
        # The project a record lies under (an observation's, through its commitment).
        project_of = {CommitmentObservation: "commitment__project__slug"}
        self.children = {
            name: [
                {"project": slug, "key": str(pk)}
                for pk, slug in model.objects.values_list("pk", project_of.get(model, "project__slug"))
            ]
            for name, model in models.items()
        }

    def hooks(self) -> list:
        from hypothesis import strategies as st

        known = self

        def either(generated, replacements: st.SearchStrategy):
            return st.one_of(st.just(generated), replacements)

        def flatmap_path_parameters(context, path_parameters):
            path = context.operation.path.removeprefix("/api/v1/").split("/")
            options = []
            if len(path) > 2 and path[1] == "{project}":
                if "{key}" in path:
                    options = known.children.get(path[2], [])
                else:
                    options = [{"project": key} for key in known.keys["projects"]]
            elif "{key}" in path:
                options = [{"key": key} for key in known.keys.get(path[0], [])]
            if not options or not isinstance(path_parameters, dict):
                return st.just(path_parameters)
            return either(path_parameters, st.sampled_from(options).map(lambda real: {**path_parameters, **real}))

        def flatmap_query(context, query):
            names = [parameter.name for parameter in context.operation.query]
            return known._replace(context.operation.path, query, names, either)

        def flatmap_body(context, body):
            names = list(body) if isinstance(body, dict) else []
            return known._replace(context.operation.path, body, names, either)

        return [flatmap_path_parameters, flatmap_query, flatmap_body]

    def _replace(self, path: str, generated, names: list[str], either):
        from hypothesis import strategies as st

        if not isinstance(generated, dict) and generated is not None:
            return st.just(generated)
        collection = path.removeprefix("/api/v1/").split("/")[0]
        optional = {}
        for name in names:
            kind = self.RELATIONS.get((collection, name)) or self.RELATIONS.get(("*", name))
            values = self.keys.get(kind or "", [])
            if values:
                optional[name] = st.sampled_from(values)
                if name in ("industries", "projects"):
                    optional[name] = st.lists(optional[name], max_size=3, unique=True)
        if not optional:
            return st.just(generated)
        base = generated or {}
        return either(generated, st.fixed_dictionaries({}, optional=optional).map(lambda real: {**base, **real}))


class _Token:
    """The role's token, in an `Authorization` header (none for anonymous clients)."""

    def __init__(self, user) -> None:
        self.user = user
        self.instance, self.key = None, ""

    def renew(self) -> None:
        """A new token if the last one is gone: revoking with `?all=true` deletes every token of the user."""
        from knox.models import AuthToken

        if self.user is not None and not AuthToken.objects.filter(pk=getattr(self.instance, "pk", None)).exists():
            self.instance, self.key = AuthToken.objects.create(user=self.user)

    def header(self, path: str) -> dict[str, str]:
        from knox.models import AuthToken

        if self.user is None:
            return {}
        if path.endswith("/revoke/"):  # it revokes the token it is sent with: give it one of its own
            return {"Authorization": f"Token {AuthToken.objects.create(user=self.user)[1]}"}
        return {"Authorization": f"Token {self.key}"}


def _user(role: str):
    from django.contrib.auth.models import Group

    from accounts.models import RegionAssignment
    from accounts.roles import GROUP_NAMES, Role
    from regions.models import Region
    from tests.factories import StaffUserFactory

    if role == "anonymous":
        return None
    user = StaffUserFactory(username=f"fuzz-{role}")  # staff without a group: a viewer
    if role == "editor":
        user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.REGIONAL_EDITOR]))
        RegionAssignment.objects.create(user=user, region=Region.objects.get(code="331102"))
    return user


#
# In pytest
#


@pytest.fixture(scope="module")
def workers(django_db_setup, django_db_blocker):
    """Two processes, each with its own copy of the migrated, empty test database."""
    from django.db import connection, connections

    creation = connection.creation
    # A database is copied only while nobody else is connected to it: the test process's own connections
    # are closed first.
    for alias in connections:
        if not connections[alias].in_atomic_block:
            connections[alias].close()
    suffixes = [f"fuzz{number}" for number in range(WORKERS)]
    context = multiprocessing.get_context("spawn")
    databases = context.Queue()
    with django_db_blocker.unblock():
        for suffix in suffixes:
            creation.clone_test_db(suffix, verbosity=0)
            databases.put(creation.get_test_db_clone_settings(suffix))
    pool = context.Pool(WORKERS, initializer=_start_worker, initargs=(databases,))
    try:
        yield pool
    finally:
        pool.terminate()  # idle by now, or stuck past TIMEOUT: either way they are done
        pool.join()
        with django_db_blocker.unblock():
            for suffix in suffixes:
                _drop_clone(creation, suffix)


def _drop_clone(creation, suffix: str) -> None:
    name = creation.get_test_db_clone_settings(suffix)["NAME"]
    with creation._nodb_cursor() as cursor:  # a worker's session may outlive its process by a moment
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
    creation.destroy_test_db(verbosity=0, suffix=suffix)


@pytest.mark.slow
@pytest.mark.django_db  # so that pytest-django creates the test database the workers copy
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented_to(role, workers, subtests):
    started = time.perf_counter()
    shares = workers.starmap_async(_fuzz, [(role, share, WORKERS) for share in range(WORKERS)]).get(TIMEOUT)
    elapsed = time.perf_counter() - started
    assert [share.get("error") for share in shares] == [None] * WORKERS
    labels = shares[0]["labels"]
    results = sorted((result for share in shares for result in share["results"]), key=lambda r: r["label"])
    for result in results:
        with subtests.test(msg=f"{role}: {result['label']}"):
            assert result["failure"] is None, result["failure"]
            # An operation without parameters or body has one possible request, which hypothesis sends once.
            assert result["cases"] >= (EXAMPLES if result["takes_input"] else 1)
    assert sorted(result["label"] for result in results) == sorted(labels)  # every operation of the document
    answered: dict[int, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            answered[status] = answered.get(status, 0) + count
    print(f"\n{role}: {len(results)} operations, {sum(answered.values())} requests in {elapsed:.1f} s")
    print(f"  statuses: {dict(sorted(answered.items()))}")
