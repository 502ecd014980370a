"""Throttling (issue 5, point 5; issue 20, point 5): per anonymous address, per user and for logins.

Test settings turn throttling off (no rates); each test here sets small rates. Every rule runs twice: with the
counts in PostgreSQL (`ratelimits_window`, written in autocommit before the handler's atomic block, so that
failed requests are counted too) and in Redis, as when `REDIS_URL` is set (tests/reliability/redis_server.py
says which server).
Many clients at once against a running server: tests/reliability/test_rate_limits.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from api.throttling import AnonThrottle
from regions.models import Region
from tests.conftest import REPO
from tests.contract import error_of, staff_user
from tests.factories import PASSWORD, UserFactory
from tests.reliability.redis_server import DATABASE_CACHES, REDIS_CACHES, redis_or_skip

pytestmark = pytest.mark.django_db

REGIONS = "/api/v1/regions/"
TOKEN = "/api/v1/auth/token/"


def rates(anon: str = "100/min", user: str = "100/min", login: str = "100/min"):
    return override_settings(API_THROTTLE_RATES={"anon": anon, "user": user, "login": login})


def forget_counts() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM ratelimits_window")


@pytest.fixture(autouse=True, params=["database", "redis"])
def shared_cache(request):
    """Each rule is tested with the counts in PostgreSQL and again in Redis."""
    if request.param == "redis":
        redis_or_skip().close()
    with override_settings(CACHES=REDIS_CACHES if request.param == "redis" else DATABASE_CACHES):
        cache.clear()
        forget_counts()
        yield request.param
        cache.clear()
        forget_counts()


def in_one_cache(name: str):
    """For a test about one cache in particular: it runs once, with that one."""
    return pytest.mark.parametrize("shared_cache", [name], indirect=True)


def client_from(address: str, token: str | None = None) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def token_for(user) -> str:
    return AuthToken.objects.create(user=user)[1]


def statuses(client: APIClient, times: int, url: str = REGIONS) -> list[int]:
    return [client.get(url).status_code for _ in range(times)]


def assert_throttled(response) -> None:
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 0 < int(response["Retry-After"]) <= 60
    assert error_of(response)["code"] == "throttled"


def end_window(shared_cache: str, key: str) -> None:
    """As if the window's minute had passed: the store's clock ends it, not the app's."""
    if shared_cache == "redis":
        cache.delete(key)  # what its expiry does
    else:
        with connections["default"].cursor() as cursor:
            cursor.execute("UPDATE ratelimits_window SET ends = statement_timestamp() WHERE key = %s", [key])


#
# Per anonymous address
#


@rates(anon="3/min")
def test_an_anonymous_address_gets_its_allowance_then_429_with_retry_after():
    client = client_from("10.0.0.1")
    assert statuses(client, 3) == [200, 200, 200]
    assert_throttled(client.get(REGIONS))


@rates(anon="3/min")
def test_two_addresses_are_counted_apart():
    assert statuses(client_from("10.0.0.1"), 3) == [200, 200, 200]
    assert_throttled(client_from("10.0.0.1").get(REGIONS))
    assert statuses(client_from("10.0.0.2"), 3) == [200, 200, 200]


@rates(anon="2/min")
def test_a_made_up_forwarded_for_header_does_not_buy_a_fresh_allowance():
    client = client_from("10.0.0.1")
    assert statuses(client, 2) == [200, 200]
    assert_throttled(client.get(REGIONS, HTTP_X_FORWARDED_FOR="203.0.113.9"))
    assert_throttled(client.get(REGIONS, HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.1"))


@rates(anon="3/min")
def test_failed_requests_count_like_any_other():
    client = client_from("10.0.0.3")
    assert statuses(client, 3, url=f"{REGIONS}no-such-region/") == [404, 404, 404]
    assert_throttled(client.get(REGIONS))


@rates(user="2/min")
def test_a_write_that_fails_and_rolls_back_still_counts():
    """The count commits before the handler's atomic block opens, so rolling that block back keeps it."""
    client = client_from("10.0.0.10", token_for(staff_user(Region, "add")))
    assert [client.post(REGIONS, {"code": "not a code"}, format="json").status_code for _ in range(2)] == [400, 400]
    assert_throttled(client.get(REGIONS))


#
# Per user
#


@rates(anon="2/min", user="4/min")
def test_each_user_has_an_allowance_of_its_own_wherever_they_call_from():
    first, second = token_for(UserFactory()), token_for(UserFactory())
    assert statuses(client_from("10.0.0.1", first), 4) == [200, 200, 200, 200]
    assert_throttled(client_from("10.0.0.9", first).get(REGIONS))
    assert statuses(client_from("10.0.0.1", second), 4) == [200, 200, 200, 200]


@rates(anon="2/min", user="4/min")
def test_a_users_requests_leave_the_anonymous_allowance_of_their_address_alone():
    token = token_for(UserFactory())
    assert statuses(client_from("10.0.0.1", token), 4) == [200, 200, 200, 200]
    assert statuses(client_from("10.0.0.1"), 2) == [200, 200]


#
# Logins
#


@rates(login="2/min")
def test_the_token_endpoint_has_its_own_stricter_login_scope():
    user = UserFactory()
    client = client_from("10.0.0.4")
    wrong = [client.post(TOKEN, {"username": user.username, "password": "guess"}).status_code for _ in range(2)]
    assert wrong == [401, 401]

    refused = client.post(TOKEN, {"username": user.username, "password": PASSWORD})
    assert_throttled(refused)
    assert not AuthToken.objects.filter(user=user).exists()
    # Only the login scope is spent: the same address still reads.
    assert client.get(REGIONS).status_code == HTTPStatus.OK


@rates(login="2/min")
def test_the_login_scope_counts_successful_logins_too_and_per_address():
    user = UserFactory()
    credentials = {"username": user.username, "password": PASSWORD}
    client = client_from("10.0.0.5")
    assert [client.post(TOKEN, credentials).status_code for _ in range(2)] == [201, 201]
    assert_throttled(client.post(TOKEN, credentials))
    assert client_from("10.0.0.6").post(TOKEN, credentials).status_code == HTTPStatus.CREATED


#
# The shared store
#


@pytest.mark.django_db(transaction=True)
@rates(anon="3/min")
@in_one_cache("database")
def test_the_count_lives_in_postgresql_where_every_worker_sees_it():
    assert statuses(client_from("10.0.0.7"), 2) == [200, 200]

    # A committed row (the test runs outside a transaction): another worker's connection would see it.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT hits FROM ratelimits_window WHERE key = %s", ["rate:anon:10.0.0.7"])
        assert cursor.fetchone() == (2,)
    # Another client (another connection, another worker) continues the same count.
    other = client_from("10.0.0.7")
    assert other.get(REGIONS).status_code == HTTPStatus.OK
    assert_throttled(other.get(REGIONS))


@rates(anon="3/min")
def test_when_the_window_ends_the_whole_allowance_comes_back(shared_cache):
    client = client_from("10.0.0.8")
    assert statuses(client, 3) == [200, 200, 200]
    assert_throttled(client.get(REGIONS))
    assert_throttled(client.get(REGIONS))  # a refusal does not move the window's end

    end_window(shared_cache, "rate:anon:10.0.0.8")
    assert statuses(client, 4) == [200, 200, 200, 429]


@rates(anon="3/min")
def test_retry_after_is_the_time_left_in_the_window(shared_cache):
    client = client_from("10.0.0.9")
    assert statuses(client, 3) == [200, 200, 200]
    if shared_cache == "redis":
        redis_or_skip().pexpire(cache.make_key("rate:anon:10.0.0.9"), 12_300)
    else:
        with connections["default"].cursor() as cursor:
            cursor.execute("UPDATE ratelimits_window SET ends = statement_timestamp() + interval '12.3 seconds'")
    refused = client.get(REGIONS)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] in {"12", "13"}  # rounded up; a slow request may have taken a moment of it


@rates(anon="5/min")
def test_clients_racing_for_an_allowance_get_exactly_the_allowance():
    # DRF's own throttle reads the history, then writes it back: racing requests read the same count and all
    # pass. Here each request is counted in one atomic step.
    racers = 20
    start = threading.Barrier(racers)

    def one_request(_: int) -> bool:
        request = Request(APIRequestFactory().get(REGIONS, REMOTE_ADDR="10.0.3.1"))
        request.user = AnonymousUser()
        throttle = AnonThrottle()
        start.wait()
        try:
            return throttle.allow_request(request, view=None)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(racers) as pool:
        allowed = list(pool.map(one_request, range(racers)))
    assert allowed.count(True) == 5


#
# Which store
#


def caches_in_a_fresh_process(env: dict[str, str]) -> dict:
    code = "import django, json; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["default"]


@pytest.mark.slow
@in_one_cache("database")
def test_settings_choose_django_redis_when_redis_url_is_set_and_the_database_otherwise(subprocess_env):
    env = {**subprocess_env, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("REDIS_URL", None)

    assert caches_in_a_fresh_process({**env, "REDIS_URL": "redis://cache.internal:6379/2"}) == {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
    }
    assert caches_in_a_fresh_process(env) == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "tracker_cache",
    }


@pytest.fixture
def redis_db(shared_cache):
    client = redis_or_skip()
    yield client
    client.close()


@in_one_cache("redis")
def test_throttling_counts_in_redis_when_it_is_the_cache(redis_db):
    with rates(anon="2/min"):
        client = client_from("10.0.1.1")
        assert statuses(client, 2) == [200, 200]
        assert_throttled(client.get(REGIONS))
        assert statuses(client_from("10.0.1.2"), 1) == [200]

        key = cache.make_key("rate:anon:10.0.1.1")
        assert int(redis_db.get(key)) == 3  # the refused request counted too: it cannot prolong the window
        assert 0 < redis_db.ttl(key) <= 60
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM ratelimits_window")
            assert cursor.fetchone() == (0,)


def commands_run(server: redis.Redis) -> dict[str, int]:
    """How many times the server has run each command (its INFO commandstats), the INFO asking aside."""
    stats = server.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items() if name != "cmdstat_info"}


@in_one_cache("redis")
@rates(anon="100/min")
def test_with_redis_a_request_within_the_allowance_costs_the_throttle_one_command(redis_db):
    key = cache.make_key("rate:anon:10.0.2.2")
    client = client_from("10.0.2.2")
    before = commands_run(redis_db)
    assert statuses(client, 3) == [200, 200, 200]
    after = commands_run(redis_db)
    ran = {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)}
    # Other tests may share the server, so at least: an INCRBY each, and the window's expiry set by the first.
    assert ran["incrby"] >= 3
    assert ran["expire"] >= 1
    assert int(redis_db.get(key)) == 3
    assert 0 < redis_db.ttl(key) <= 60


@in_one_cache("redis")
@rates(anon="2/min")
def test_a_count_left_without_an_expiry_is_given_one_by_the_first_refusal(redis_db):
    """A worker that died between its INCR and its EXPIRE leaves a count that would otherwise never end."""
    key = cache.make_key("rate:anon:10.0.2.3")
    redis_db.set(key, 2)
    assert_throttled(client_from("10.0.2.3").get(REGIONS))
    assert 0 < redis_db.ttl(key) <= 60


@in_one_cache("redis")
@rates(anon="3/min")
def test_a_dropped_redis_connection_is_opened_again(redis_db):
    client = client_from("10.0.2.5")
    assert statuses(client, 1) == [200]
    redis_db.client_kill_filter(_type="normal", skipme=True)  # every connection but this test's own
    assert statuses(client, 2) == [200, 200]
    assert_throttled(client.get(REGIONS))
    assert int(redis_db.get(cache.make_key("rate:anon:10.0.2.5"))) == 4


@in_one_cache("database")
@rates(anon="3/min")
def test_ended_windows_are_swept_from_the_table_now_and_then(monkeypatch):
    monkeypatch.setattr("api.throttling.SWEEP_EVERY", 1)
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO ratelimits_window VALUES ('rate:anon:10.0.4.1', 3, statement_timestamp() - interval '1s')"
        )
    assert statuses(client_from("10.0.4.2"), 1) == [200]
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT key FROM ratelimits_window")
        assert cursor.fetchall() == [("rate:anon:10.0.4.2",)]
