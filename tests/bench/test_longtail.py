"""The bench's long-tail run: URLs drawn as users send them, the file wrk walks, F answering as O does, the writer.

The agreement test loads the tiny tier (1,000 projects) into the test database for the module, committed
(the loader bypasses Django), and empties it again afterwards, as tests/bench/test_generate.py does.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import psycopg
import pytest
from knox.models import AuthToken

from bench import floor, longtail
from bench.compare import Endpoint, compare_answers
from bench.run import Scenario, build_longtail_report, render_longtail, selected
from bench.writer import Writer
from core import search
from database.config import database_config
from projects.models import FollowUp, Project
from tests.factories import ProjectFactory, UserFactory

VOCABULARY = longtail.Vocabulary(
    regions=[f"{n:06d}" for n in range(110000, 113000)],
    stages=["conceived", "negotiating", "signed", "landed", "on_hold"],
    industries=[f"C{n}" for n in range(100, 500)],
    project_ids=list(range(1, 5001)),
)


def params_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def test_the_same_seed_draws_the_same_urls_and_another_seed_others() -> None:
    for draw in (longtail.list_urls, longtail.summary_urls, longtail.detail_urls, longtail.search_urls):
        assert draw(VOCABULARY, 500, 24) == draw(VOCABULARY, 500, 24)
        assert draw(VOCABULARY, 500, 24) != draw(VOCABULARY, 500, 25)


def test_list_urls_have_a_region_in_70_percent_a_stage_in_50_an_industry_in_30_and_pages_1_to_20() -> None:
    drawn = [params_of(url) for url in longtail.list_urls(VOCABULARY, 10_000, 24)]
    share = {name: sum(name in params for params in drawn) / len(drawn) for name in ("region", "stage", "industry")}
    assert share["region"] == pytest.approx(0.7, abs=0.02)
    assert share["stage"] == pytest.approx(0.5, abs=0.02)
    assert share["industry"] == pytest.approx(0.3, abs=0.02)
    pages = Counter(int(params.get("page", 1)) for params in drawn)
    assert set(pages) == set(range(1, 21))
    assert all(400 <= n <= 600 for n in pages.values())  # 500 each, uniform
    # Page 1 is the list's own address, without page=1.
    assert not any(params.get("page") == "1" for params in drawn)
    # Independent draws repeat the common ones (no filter at all: about one in ten): about 8,000 distinct.
    assert 7_000 <= len(set(longtail.list_urls(VOCABULARY, 10_000, 24))) <= 9_500
    assert all(params["region"] in VOCABULARY.regions for params in drawn if "region" in params)


def test_summary_urls_group_by_each_of_the_four_groupings_with_filters_drawn_as_the_lists() -> None:
    drawn = [params_of(url) for url in longtail.summary_urls(VOCABULARY, 8_000, 24)]
    groupings = Counter(params["group_by"] for params in drawn)
    assert set(groupings) == {"region", "industry", "status", "year"}
    assert all(1_800 <= n <= 2_200 for n in groupings.values())
    assert sum("region" in params for params in drawn) / len(drawn) == pytest.approx(0.7, abs=0.02)
    assert not any("page" in params for params in drawn)


def test_search_urls_draw_the_words_of_the_names_with_a_region_in_30_percent_and_page_1_in_70() -> None:
    drawn = [params_of(url) for url in longtail.search_urls(VOCABULARY, 10_000, 24)]
    words = Counter(params["search"] for params in drawn)
    assert set(words) == set(longtail.SEARCH_WORDS)
    assert {"graphene", "龙泉", "产业园", "park"} <= set(words)  # a word of each kind, Chinese ones too
    assert sum("region" in params for params in drawn) / len(drawn) == pytest.approx(0.3, abs=0.02)
    pages = Counter(int(params.get("page", 1)) for params in drawn)
    assert pages[1] / len(drawn) == pytest.approx(0.7, abs=0.02)
    assert set(pages) == set(range(1, 6))
    assert all(url.isascii() for url in longtail.search_urls(VOCABULARY, 500, 24))  # percent-encoded for wrk


def test_detail_urls_name_projects_of_the_tier() -> None:
    urls = longtail.detail_urls(VOCABULARY, 5_000, 24)
    ids = {int(url.strip("/").rsplit("/", 1)[1]) for url in urls}
    assert ids <= set(VOCABULARY.project_ids)
    assert len(ids) > 3_000


def test_the_url_file_is_one_ascii_path_a_line_and_refuses_what_wrk_could_not_send(tmp_path: Path) -> None:
    urls = longtail.list_urls(VOCABULARY, 50, 24)
    written = longtail.write_urls(tmp_path / "urls.txt", urls)
    assert written.read_bytes().decode("ascii").split("\n") == [*urls, ""]
    with pytest.raises(ValueError, match="wrk"):
        longtail.write_urls(tmp_path / "bad.txt", ["/api/v1/projects/?search=a b"])
    with pytest.raises(ValueError, match="wrk"):
        longtail.write_urls(tmp_path / "bad.txt", ["http://elsewhere/api/v1/projects/"])


def test_the_wrk_script_reads_the_file_and_start_line_it_is_given_and_prints_the_statuses_line() -> None:
    script = longtail.SCRIPT.read_text()
    # The runner's command line: `-- URLS_FILE START_LINE`.
    assert "io.lines(args[1])" in script
    assert "tonumber(args[2])" in script
    for callback in ("function setup(thread)", "function init(args)", "function request()", "function response("):
        assert callback in script
    assert script.count("function ") == script.count("\nend\n")  # every function closed at the top level
    output = "Requests/sec:    124.75\nTransfer/sec:      1.04MB\nstatuses: 200=105 404=272\n"
    assert longtail.parse_statuses(output) == {200: 105, 404: 272}
    with pytest.raises(ValueError, match="statuses"):
        longtail.parse_statuses("Requests/sec: 1\n")


def test_repeats_are_the_share_of_requests_for_a_url_already_asked_in_the_same_walk() -> None:
    urls = ["/a", "/b", "/a", "/c"]
    assert longtail.repeats(urls, 0, 4) == 0.25
    # From line 1, wrapping at the end: /b /a /c, then five requests for URLs already asked.
    assert longtail.repeats(urls, 1, 8) == pytest.approx(5 / 8)
    assert longtail.repeats(urls, 0, 0) == 0.0


def test_the_agreement_sample_is_spread_over_the_file_without_duplicates() -> None:
    urls = longtail.list_urls(VOCABULARY, 10_000, 24)
    sample = longtail.sample(urls, 100)
    assert len(sample) == len(set(sample)) <= 100
    assert len(sample) >= 90
    positions = sorted(urls.index(url) for url in sample)
    assert positions[-1] > 9_000


def _floor_get(path: str) -> tuple[int, dict | None]:
    route, _, query = path.partition("?")
    seen: dict = {}
    environ = {"PATH_INFO": route, "QUERY_STRING": query, "HTTP_HOST": "testserver", "REQUEST_METHOD": "GET"}
    body = b"".join(floor.application(environ, lambda status, headers: seen.update(status=status)))
    return int(seen["status"][:3]), orjson.loads(body) if body else None


@pytest.mark.django_db
def test_the_floor_answers_drawn_lists_summaries_and_details_as_ours_does(
    tiny: psycopg.Connection, api_client, monkeypatch
) -> None:
    monkeypatch.setattr(floor, "_connection", tiny)
    vocab = longtail.vocabulary(tiny)
    drawn = [
        ("list", longtail.list_urls(vocab, 120, 7)),
        ("summary", longtail.summary_urls(vocab, 120, 7)),
        ("record", longtail.detail_urls(vocab, 30, 7)),
        ("list", longtail.search_urls(vocab, 60, 7)),
    ]
    statuses: Counter = Counter()
    for kind, urls in drawn:
        for url in urls:
            ours = api_client.get(url)
            answers = {"F": _floor_get(url), "O": (ours.status_code, ours.json())}
            assert compare_answers(kind, url, answers) == []
            statuses[kind, ours.status_code] += 1
    # Both kinds of list answer were compared (rows, and pages past the end), and every grouping summarised.
    assert statuses["list", 200] > 10
    assert statuses["list", 404] > 10
    assert statuses["summary", 200] == 120
    assert {params_of(url)["group_by"] for url in drawn[1][1]} == {"region", "industry", "status", "year"}


@pytest.mark.django_db
def test_drawn_analytics_urls_are_answered_by_ours(tiny: psycopg.Connection, api_client) -> None:
    """The stage ageing has no floor: its URLs are only checked to be answers, not 400s for a bad draw."""
    vocab = longtail.vocabulary(tiny)
    urls = longtail.analytics_urls(longtail.AGEING_PATH, vocab, 40, 7)
    urls += longtail.analytics_urls(longtail.FUNNEL_PATH, vocab, 40, 7, {"cohort": longtail.COHORTS})
    assert {api_client.get(url).status_code for url in urls} == {200}
    assert {params_of(url)["cohort"] for url in urls[40:]} == set(longtail.COHORTS)
    assert longtail.analytics_urls(longtail.AGEING_PATH, VOCABULARY, 50, 7) == longtail.analytics_urls(
        longtail.AGEING_PATH, VOCABULARY, 50, 7
    )


@pytest.mark.django_db(transaction=True)
def test_the_writer_patches_projects_with_if_match_and_adds_follow_ups_through_the_api(live_server) -> None:
    projects = ProjectFactory.create_batch(3)
    user = UserFactory(is_superuser=True, is_staff=True)
    token = AuthToken.objects.create(user=user)[1]
    writer = Writer(live_server.url, token, [project.pk for project in projects], seed=1)
    stop = threading.Event()
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    summary = writer.run(rate=10, stop=stop)
    timer.join()
    assert summary["errors"] == 0, summary["first_failures"]
    # Never more than the rate (no bursts); fewer when a write takes longer than its interval (a test server).
    assert 4 <= summary["writes"] <= 15
    assert set(summary["statuses"]) == {"200", "201"}
    patched = summary["statuses"]["200"]
    versions = Project.objects.filter(pk__in=[project.pk for project in projects]).values_list("version", flat=True)
    assert sum(versions) - sum(project.version for project in projects) == patched
    assert FollowUp.objects.filter(project__in=projects, author=user).count() == summary["statuses"]["201"]


ENDPOINTS = [Endpoint("list", "/api/v1/projects/", "list"), Endpoint("detail", "/api/v1/projects/1/", "record")]


def test_bench_longtail_only_times_the_long_tail_alone_and_bench_endpoints_picks_among_both(monkeypatch) -> None:
    monkeypatch.setenv("BENCH_LONGTAIL", "only")
    assert selected(ENDPOINTS) == ([], ["lt_list", "lt_summary", "lt_detail", "lt_search", "lt_ageing", "lt_funnel"])
    monkeypatch.setenv("BENCH_LONGTAIL", "off")
    assert selected(ENDPOINTS) == (ENDPOINTS, [])
    monkeypatch.setenv("BENCH_LONGTAIL", "on")
    monkeypatch.setenv("BENCH_ENDPOINTS", "detail,lt_summary")
    assert selected(ENDPOINTS) == (ENDPOINTS[1:], ["lt_summary"])
    monkeypatch.setenv("BENCH_LONGTAIL", "sometimes")
    with pytest.raises(SystemExit, match="BENCH_LONGTAIL"):
        selected(ENDPOINTS)


def _run(rps: float, p99: float, requests: int, not_found: int, writer: dict | None = None) -> dict:
    return {
        "rps": rps, "p50_ms": p99 / 4, "p99_ms": p99, "requests": requests, "not_found": not_found, "errors": 0,
        "repeats": 0.05, "cpu_ms_per_request": 1.0, "writer": writer,
    }  # fmt: skip


def test_the_report_gives_each_variant_with_and_without_the_writer_its_404s_and_the_writers_rate(
    tmp_path: Path,
) -> None:
    scenario = Scenario("lt_list", "list", ("F", "O"), ("/a", "/b", "/a"), tmp_path / "urls.txt", 2)
    writes = {"per_second": 1.98, "writes": 40, "errors": 0, "p99_ms": 80.0}
    measurements = {
        "lt_list": {
            "F": {"writer_off": [_run(30, 545, 600, 150)], "writer_on": [_run(25, 600, 500, 125, writes)]},
            "O": {"writer_off": [_run(45, 377, 900, 225)], "writer_on": [_run(36, 552, 720, 180, writes)]},
        }
    }
    report = build_longtail_report([scenario], measurements, {}, 2.0)
    result = report["results"]["lt_list"]
    assert result["distinct_urls"] == 2
    assert result["rps_ratios"] == {"O/F writer_off": 1.5, "O/F writer_on": 1.44}
    assert result["variants"]["O"]["writer_on"]["writer"]["per_second"] == 1.98
    lines = render_longtail(report)
    rows = [line for line in lines if line.startswith("| lt_list")]
    assert len(rows) == 4
    assert "| O, computed | on | 36.0 (36.0\u201336.0) | 138.00 | 552.00 | 180 (25%) |" in rows[3]
    assert rows[3].endswith("| 1.44 | 1.98 (0, 80.0) |")


def test_the_floor_chooses_how_to_find_search_documents_by_the_same_rule_as_ours() -> None:
    """bench/floor.py imports nothing of the app, so it repeats core.search's rule: the two must not drift."""
    assert floor._TRIGRAM_WORD.pattern == search._TRIGRAM_WORD.pattern
    assert floor.MAX_WALKED_OFFSET == search.MAX_WALKED_OFFSET


def test_the_floor_connects_with_the_session_settings_of_ours() -> None:
    """The floor's connection asks PostgreSQL for what O's ask (JIT off): the same server work for the same SQL."""
    assert database_config("postgres://u@h/db")["OPTIONS"]["options"] == floor.SESSION_OPTIONS
