"""Throttling (issue 5, point 5): per anonymous address, per user and for logins, in the shared cache.

Test settings turn throttling off (no rates); each test here sets small rates. The counts live in
the cache every worker shares: the database cache (`tracker_cache`, written through the `counters`
connection so that failed requests are counted too) or Redis when `REDIS_URL` is set.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
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
from rest_framework.throttling import SimpleRateThrottle

from config.cache import RedisCache
from config.throttling import AnonThrottle
from tests.conftest import REPO
from tests.contract import error_of
from tests.factories import PASSWORD, UserFactory

# The throttle counts are written through the `counters` connection (see config.throttling).
pytestmark = pytest.mark.django_db(databases=["default", "counters"])

REGIONS = "/api/v1/regions/"
TOKEN = "/api/v1/auth/token/"
REDIS_LOCATION = "redis://127.0.0.1:6379/15"  # a database of its own, emptied before and after


def rates(anon: str = "100/min", user: str = "100/min", login: str = "100/min"):
    return override_settings(API_THROTTLE_RATES={"anon": anon, "user": user, "login": login})


REDIS_CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_LOCATION}}


def _redis_or_fail() -> redis.Redis:
    """The Redis server this machine and CI run; its absence is a failure, not a reason to skip."""
    client = redis.Redis.from_url(REDIS_LOCATION, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_LOCATION} ({exc}). The throttling tests need a Redis server "
            "on 127.0.0.1:6379 (start one with `redis-server`).",
            pytrace=False,
        )
    return client


@pytest.fixture(autouse=True, params=["database", "redis"])
def shared_cache(request):
    """Each rule is tested with the counts in the database cache and again in Redis (REDIS_URL), whose
    throttle keeps the history its own way (`config.cache.THROTTLE_SCRIPT`)."""
    if request.param == "database":
        cache.clear()
        yield request.param
        cache.clear()
        return
    _redis_or_fail().close()
    with override_settings(CACHES=REDIS_CACHES):
        cache.clear()
        yield request.param
        cache.clear()


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
    """ATOMIC_REQUESTS rolls a failed request back; its count must not go with it."""
    client = client_from("10.0.0.3")
    assert statuses(client, 3, url=f"{REGIONS}no-such-region/") == [404, 404, 404]
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
# The shared cache
#


@pytest.mark.django_db(databases=["default", "counters"], transaction=True)
@rates(anon="3/min")
@in_one_cache("database")
def test_the_count_lives_in_the_shared_cache_where_every_worker_sees_it():
    assert statuses(client_from("10.0.0.7"), 2) == [200, 200]

    history = cache.get("throttle_anon_10.0.0.7")
    assert len(history) == 2
    # A committed row of tracker_cache: the `default` connection sees it from outside the
    # `counters` connection that wrote it, as another worker's connection would.
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tracker_cache WHERE cache_key = %s", [cache.make_key("throttle_anon_10.0.0.7")]
        )
        assert cursor.fetchone() == (1,)
    # Another client (another connection, another worker) continues the same count.
    other = client_from("10.0.0.7")
    assert other.get(REGIONS).status_code == HTTPStatus.OK
    assert_throttled(other.get(REGIONS))


@rates(anon="3/min")
def test_clearing_the_shared_cache_gives_the_allowance_back():
    client = client_from("10.0.0.8")
    assert statuses(client, 3) == [200, 200, 200]
    assert_throttled(client.get(REGIONS))
    cache.delete("throttle_anon_10.0.0.8")
    assert client.get(REGIONS).status_code == HTTPStatus.OK


#
# Redis, when REDIS_URL is set
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
def test_settings_choose_redis_when_redis_url_is_set_and_the_database_otherwise(subprocess_env):
    env = {**subprocess_env, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("REDIS_URL", None)

    assert caches_in_a_fresh_process({**env, "REDIS_URL": "redis://cache.internal:6379/2"}) == {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
    }
    assert caches_in_a_fresh_process(env) == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "tracker_cache",
    }


@pytest.fixture
def redis_db(shared_cache):
    """Redis database 15, which the `redis` runs of these tests count in."""
    client = _redis_or_fail()
    yield client
    client.close()


@in_one_cache("redis")
def test_throttling_counts_in_redis_when_it_is_the_cache(redis_db):
    with rates(anon="2/min"):
        client = client_from("10.0.1.1")
        assert statuses(client, 2) == [200, 200]
        assert_throttled(client.get(REGIONS))
        assert statuses(client_from("10.0.1.2"), 1) == [200]

        key = cache.make_key("throttle_anon_10.0.1.1")
        assert redis_db.exists(key) == 1
        assert 0 < redis_db.ttl(key) <= 60


@in_one_cache("redis")
def test_the_redis_cache_builds_one_client_per_server_not_one_per_call():
    """Django's own backend built a `redis.Redis` on every get and set (0.3 ms of CPU each, twice a request)."""
    single = RedisCache(REDIS_LOCATION, {})._cache
    client = single.get_client(write=True)
    assert single.get_client("any key") is client
    assert single.get_client(write=True) is client

    # With several servers, writes go to the first and reads to the others: a client for each.
    primary_and_replica = RedisCache("redis://primary:6379/0,redis://replica:6379/0", {})._cache
    writer = primary_and_replica.get_client(write=True)
    reader = primary_and_replica.get_client(write=False)
    assert writer is not reader
    assert writer.connection_pool.connection_kwargs["host"] == "primary"
    assert reader.connection_pool.connection_kwargs["host"] == "replica"
    assert primary_and_replica.get_client(write=True) is writer
    assert primary_and_replica.get_client(write=False) is reader


@rates(anon="3/min")
def test_a_request_leaves_the_allowance_a_minute_later_and_retry_after_says_when(monkeypatch):
    # The same decisions and the same Retry-After from DRF's history in the database cache and from the
    # Redis script, on a clock the test moves.
    clock = [1_000_000.0]
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: clock[0])
    client = client_from("10.0.2.1")

    def at(seconds: float):
        clock[0] = 1_000_000.0 + seconds
        return client.get(REGIONS)

    assert [at(t).status_code for t in (0, 10, 20)] == [200, 200, 200]
    refused = at(30)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "30"  # the request at 0 leaves the minute at 60
    assert at(59.5).status_code == HTTPStatus.TOO_MANY_REQUESTS  # a refusal is not counted
    assert at(60).status_code == HTTPStatus.OK  # the request at 0 is a minute old: it no longer counts
    refused = at(61)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "9"  # the request at 10 leaves at 70
    assert [at(t).status_code for t in (200, 201, 202, 203)] == [200, 200, 200, 429]


# What THROTTLE_SCRIPT runs inside the server (INFO commandstats counts them too).
SCRIPT_COMMANDS = {"type", "del", "lindex", "rpop", "llen", "lpush", "expire"}


def commands_run(server: redis.Redis) -> dict[str, int]:
    """How many times the server has run each command (its INFO commandstats), the INFO asking aside."""
    stats = server.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items() if name != "cmdstat_info"}


def commands_since(server: redis.Redis, before: dict[str, int]) -> dict[str, int]:
    after = commands_run(server)
    return {name: calls - before.get(name, 0) for name, calls in after.items() if calls != before.get(name, 0)}


@in_one_cache("redis")
@rates(anon="100/min")
def test_with_redis_a_request_costs_the_throttle_one_round_trip(redis_db):
    client = client_from("10.0.2.2")
    assert client.get(REGIONS).status_code == HTTPStatus.OK  # loads the script on the server once
    before = commands_run(redis_db)
    assert statuses(client, 3) == [200, 200, 200]
    ran = commands_since(redis_db, before)
    assert ran.pop("evalsha") == 3
    assert set(ran) <= SCRIPT_COMMANDS  # the commands the script itself runs, in the server: no GET, no SET
    assert redis_db.llen(cache.make_key("throttle_anon_10.0.2.2")) == 4


@in_one_cache("redis")
@rates(anon="3/min")
def test_a_redis_that_forgot_the_script_is_given_it_again(redis_db):
    client = client_from("10.0.2.4")
    assert statuses(client, 1) == [200]
    redis_db.script_flush()  # as after a restart of a server that keeps nothing
    assert statuses(client, 2) == [200, 200]
    assert_throttled(client.get(REGIONS))
    assert redis_db.llen(cache.make_key("throttle_anon_10.0.2.4")) == 3


@in_one_cache("redis")
@rates(anon="3/min")
def test_a_dropped_redis_connection_is_opened_again(redis_db):
    client = client_from("10.0.2.5")
    assert statuses(client, 1) == [200]
    redis_db.client_kill_filter(_type="normal", skipme=True)  # every connection but this test's own
    assert statuses(client, 2) == [200, 200]
    assert_throttled(client.get(REGIONS))
    assert redis_db.llen(cache.make_key("throttle_anon_10.0.2.5")) == 3


@in_one_cache("redis")
@rates(anon="2/min")
def test_a_history_the_previous_release_left_in_redis_is_started_afresh(redis_db):
    # DRF's own throttle kept a pickled list under the same key; a worker of the new release meets it once.
    cache.set("throttle_anon_10.0.2.3", [time.time()] * 5, 60)
    client = client_from("10.0.2.3")
    assert statuses(client, 2) == [200, 200]
    assert_throttled(client.get(REGIONS))
    assert redis_db.type(cache.make_key("throttle_anon_10.0.2.3")) == b"list"


@in_one_cache("redis")
@rates(anon="5/min")
def test_in_redis_clients_racing_for_an_allowance_get_exactly_the_allowance(redis_db):
    # DRF's own throttle reads the history, then writes it back: two servers may both read the same count and
    # both let a request through. The script checks and records in one atomic step.
    racers = 20
    start = threading.Barrier(racers)

    def one_request(_: int) -> bool:
        request = Request(APIRequestFactory().get(REGIONS, REMOTE_ADDR="10.0.3.1"))
        request.user = AnonymousUser()
        throttle = AnonThrottle()
        start.wait()
        return throttle.allow_request(request, view=None)

    with ThreadPoolExecutor(racers) as pool:
        allowed = list(pool.map(one_request, range(racers)))
    assert allowed.count(True) == 5
    assert redis_db.llen(cache.make_key("throttle_anon_10.0.3.1")) == 5
