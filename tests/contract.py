"""The CRUD contract every API collection keeps (issue 4, point 8; docs/api.md): who may read and
write, what each write answers, and that a refused or invalid write leaves the table as it was.
A resource's test class sets the attributes of `CRUDContract`; its own rules are tested beside it.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from accounts.roles import GROUP_NAMES, Role
from tests.factories import StaffUserFactory

# The savepoint each request's transaction makes inside the test's own is not a query of the API's.
SAVEPOINT = re.compile(r"^(RELEASE |ROLLBACK TO )?SAVEPOINT ")


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL a request ran, without the savepoints of its transaction inside the test's."""
    return [query["sql"] for query in queries.captured_queries if not SAVEPOINT.match(query["sql"])]


HUGE = "<1e400>"  # stands for the bare JSON number 1e400, which json.dumps cannot write
MALFORMED_BODIES = {
    "cut-off JSON": b'{"name": ',
    "not UTF-8": b"\xff\xfe{}",
    "a list instead of an object": b"[{}]",
    "a bare string": b'"name"',
    "null": b"null",
    "NaN": b'{"name": NaN}',
}
WRONG_VALUES = {
    "a list": [1, 2],
    "an object": {"id": {"id": 1}},
    "a string for a boolean": "perhaps",
    "a huge number": HUGE,
    "a huge integer": 10**40,
    "a NUL byte": "a\x00b",
    "a NUL byte in a list": ["a\x00b"],
    "a lone surrogate": "\ud800",
    "a long string": "x" * 5000,
}


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def staff_user(model, *actions: str):
    """A staff user holding the permissions of `model` for `actions` ("add", "change", "delete", "view").

    Writing takes a role as well as a permission (tests/accounts covers every role): a user given
    write actions here is made a bureau administrator; one given none stays a viewer.
    """
    user = StaffUserFactory()
    codenames = [f"{action}_{model._meta.model_name}" for action in actions]
    content_type = ContentType.objects.get_for_model(model)
    user.user_permissions.set(Permission.objects.filter(content_type=content_type, codename__in=codenames))
    if set(actions) & {"add", "change", "delete"}:
        user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.BUREAU_ADMIN]))
    return user


def error_of(response) -> dict[str, Any]:
    """The error envelope of a JSON error response."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()["error"]


@pytest.mark.django_db
class CRUDContract:
    """Subclass with the attributes below; `create_data()` may create the related records it names."""

    basename: ClassVar[str]  # router basename: URLs are api:<basename>-list and api:<basename>-detail
    factory: ClassVar[Any]  # factory_boy factory of a valid record
    key_field: ClassVar[str] = "id"  # the field that names a record in its URL
    update_data: ClassVar[dict[str, Any]]  # a PATCH that changes something
    invalid_data: ClassVar[dict[str, Any]]  # merged into a valid payload, makes it invalid ...
    invalid_field: ClassVar[str]  # ... and this is the field the 400 names
    anonymous_reads: ClassVar[bool] = True  # whether anyone may read it without signing in

    def create_data(self) -> dict[str, Any]:
        raise NotImplementedError

    def make(self):
        return self.factory()

    def url_kwargs(self) -> dict[str, Any]:
        return {}

    def list_url(self) -> str:
        return reverse(f"api:{self.basename}-list", kwargs=self.url_kwargs())

    def detail_url(self, key) -> str:
        return reverse(f"api:{self.basename}-detail", kwargs={**self.url_kwargs(), "key": key})

    def key(self, record) -> Any:
        return getattr(record, self.key_field)

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.factory._meta.model.objects.order_by("pk").values())

    def if_match(self, client: APIClient, url: str) -> dict[str, str]:
        """The header a write sends: the ETag of the record as `client` reads it now."""
        return {"if-match": client.get(url)["ETag"]}

    def staff(self, *actions: str) -> APIClient:
        return client_for(staff_user(self.factory._meta.model, *actions))

    @pytest.fixture
    def editor(self) -> APIClient:
        return self.staff("add", "change", "delete")

    def reader(self) -> APIClient:
        """A client that may read the collection: anyone, or a signed-in viewer where reads are not public."""
        return client_for() if self.anonymous_reads else self.staff()

    def test_readers_can_list_and_retrieve(self):
        record = self.make()
        listed = self.reader().get(self.list_url())
        assert listed.status_code == 200
        assert str(self.key(record)) in [str(row[self.key_field]) for row in listed.json()["results"]]
        retrieved = self.reader().get(self.detail_url(self.key(record)))
        assert retrieved.status_code == 200
        assert retrieved.json()[self.key_field] == self.key(record)

    def test_anonymous_clients_read_only_what_is_public(self):
        key = self.key(self.make())
        responses = [client_for().get(self.list_url()), client_for().get(self.detail_url(key))]
        if self.anonymous_reads:
            assert [response.status_code for response in responses] == [200, 200]
        else:
            assert [response.status_code for response in responses] == [401, 401]
            assert [error_of(response)["code"] for response in responses] == ["not_authenticated"] * 2

    @pytest.mark.parametrize("actions", [None, (), ("view",)], ids=["anonymous", "staff", "staff who may view"])
    def test_writes_are_refused_and_change_nothing(self, actions):
        client = client_for() if actions is None else self.staff(*actions)
        record, payload = self.make(), self.create_data()
        before = self.snapshot()
        detail = self.detail_url(self.key(record))
        responses = [
            client.post(self.list_url(), payload, format="json"),
            client.patch(detail, self.update_data, format="json"),
            client.put(detail, {**payload, **self.update_data}, format="json"),
            client.delete(detail),
        ]
        # Without credentials: 401 naming the scheme; signed in without the right: 403.
        expected = 401 if actions is None else 403
        assert [response.status_code for response in responses] == [expected] * 4
        assert all(error_of(response)["message"] for response in responses)
        if actions is None:
            assert all(response["WWW-Authenticate"] == "Token" for response in responses)
        assert self.snapshot() == before

    def test_permitted_staff_can_create_and_read_back_the_same_record(self, editor):
        response = editor.post(self.list_url(), self.create_data(), format="json")
        assert response.status_code == 201, response.json()
        created = response.json()
        assert editor.get(self.detail_url(created[self.key_field])).json() == created

    @pytest.mark.parametrize("method", ["patch", "put"])
    def test_permitted_staff_can_update(self, editor, method):
        record = self.make()
        payload = self.update_data if method == "patch" else {**self.create_data(), **self.update_data}
        url = self.detail_url(self.key(record))
        response = getattr(editor, method)(url, payload, format="json", headers=self.if_match(editor, url))
        assert response.status_code == 200, response.json()
        updated = response.json()
        assert {name: updated[name] for name in self.update_data} == self.update_data
        assert editor.get(self.detail_url(updated[self.key_field])).json() == updated

    def test_permitted_staff_can_delete(self, editor):
        key = self.key(self.make())
        url = self.detail_url(key)
        assert editor.delete(url, headers=self.if_match(editor, url)).status_code == 204
        response = editor.get(self.detail_url(key))
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"

    @pytest.mark.parametrize("key", ["999999999", "no-such-record"])
    def test_unknown_key_is_a_json_404(self, key):
        response = self.reader().get(self.detail_url(key))
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
        assert error_of(response)["message"]

    def test_invalid_payload_is_a_400_naming_the_field_and_writes_nothing(self, editor):
        payload = {**self.create_data(), **self.invalid_data}
        before = self.snapshot()
        response = editor.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert self.invalid_field in error_of(response)["fields"]
        assert self.snapshot() == before

    @pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
    def test_malformed_body_is_a_json_400(self, editor, body):
        response = editor.generic("POST", self.list_url(), body, content_type="application/json")
        assert response.status_code == 400
        assert error_of(response)["message"]

    @pytest.mark.parametrize("value", WRONG_VALUES.values(), ids=WRONG_VALUES.keys())
    def test_a_wrong_value_in_any_field_never_gives_a_server_error(self, editor, value):
        view = resolve(self.list_url()).func.cls
        serializer = (view.detail_serializer_class or view.serializer_class)()
        payload, failures = self.create_data(), {}
        editor.raise_request_exception = False  # a crash is a 500 to report, with the field that caused it
        for field in [name for name, field in serializer.fields.items() if not field.read_only]:
            body = json.dumps({**payload, field: value}).replace(json.dumps(HUGE), "1e400")
            with transaction.atomic():  # each field meets the same table: an accepted body is rolled back
                response = editor.generic("POST", self.list_url(), body, content_type="application/json")
                transaction.set_rollback(True)
            if response.status_code >= 500 or not response["Content-Type"].startswith("application/json"):
                failures[field] = response.status_code
        assert failures == {}
