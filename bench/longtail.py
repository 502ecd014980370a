"""The long-tail requests (issues 19 and 24): many different URLs, as users send them, instead of one repeated.

`make bench`'s fixed endpoints repeat one URL each, so after the first request O answers its list pages
from the answer cache. Here wrk walks a file of URLs drawn from the loaded tier's own regions, stages and
industries (`bench/longtail.lua`), deterministically (a seeded RNG over code-sorted vocabularies):

- list pages: a region anywhere in the tree in 70 % of them, a stage in 50 %, an industry in 30 %
  (each independently), page 1 to 20 (uniform; page 1 written without `page=`, as the first page's link
  is). Draws are independent, so the common ones repeat (about one in ten has no filter at all): that,
  and nothing else, is what O's answer cache can hit. Pages past the end are the 404s they are;
- summaries: `group_by` one of region, industry, status, year, with filters drawn as for the lists;
- project details: ids drawn uniformly from every project's;
- analytics (issue 22): the stage ageing, and the funnel by one of its three cohorts, with filters drawn as for
  the lists; O alone, as the floor has no stage history to read (their targets are the summaries': latencies,
  not a ratio);
- searches: a word the tier's names are made of (bench.generate: places, industries, nouns, Chinese places and
  nouns, company syllables), common and rare alike, with a region in 30 % of them, page 1 in 70 % (as users
  read a search) and else page 2 to 5.

The URL file is one path (with its query) per line, ASCII, nothing else.
"""

# Seeded draws for repeatable requests, not secrets.
# ruff: noqa: S311
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from bench.generate import INDUSTRY_WORDS, NOUN_WORDS, PLACE_WORDS, SYLLABLES, ZH_NOUNS, ZH_WORDS

LIST_PATH = "/api/v1/projects/"
SUMMARY_PATH = "/api/v1/projects/summary/"
AGEING_PATH = "/api/v1/analytics/stage-ageing/"
FUNNEL_PATH = "/api/v1/analytics/funnel/"
COHORTS = ("signed_year", "signed_quarter", "signing_event")
REGION_SHARE, STAGE_SHARE, INDUSTRY_SHARE = 0.7, 0.5, 0.3
LAST_PAGE = 20
GROUPINGS = ("region", "industry", "status", "year")
SCRIPT = Path(__file__).resolve().parent / "longtail.lua"
SEARCH_REGION_SHARE, SEARCH_FIRST_PAGE_SHARE, SEARCH_LAST_PAGE = 0.3, 0.7, 5
# The words the generated names are made of, each once, sorted.
SEARCH_WORDS = tuple(
    sorted(
        {
            word.lower()
            for phrase in (*PLACE_WORDS, *INDUSTRY_WORDS, *NOUN_WORDS, *ZH_WORDS, *ZH_NOUNS, *SYLLABLES)
            for word in phrase.split()
        }
    )
)


@dataclass(frozen=True)
class Vocabulary:
    """What the URLs are drawn from: the loaded tier's codes and ids, each list sorted."""

    regions: Sequence[str]
    stages: Sequence[str]
    industries: Sequence[str]
    project_ids: Sequence[int]
    words: Sequence[str] = SEARCH_WORDS


def vocabulary(conn: psycopg.Connection) -> Vocabulary:
    def column(sql: str) -> list:
        return [value for (value,) in conn.execute(sql).fetchall()]

    return Vocabulary(
        regions=column("SELECT code FROM regions_region ORDER BY code"),
        stages=column("SELECT DISTINCT stage FROM projects_project ORDER BY stage"),
        industries=column("SELECT code FROM industries_industry ORDER BY code"),
        project_ids=column("SELECT id FROM projects_project ORDER BY id"),
    )


def _filters(vocab: Vocabulary, rng: random.Random) -> dict[str, str]:
    # Every draw is made whether or not it is used, so that one share does not shift the others' draws.
    region, stage, industry = rng.choice(vocab.regions), rng.choice(vocab.stages), rng.choice(vocab.industries)
    chosen = {}
    if rng.random() < REGION_SHARE:
        chosen["region"] = region
    if rng.random() < STAGE_SHARE:
        chosen["stage"] = stage
    if rng.random() < INDUSTRY_SHARE:
        chosen["industry"] = industry
    return chosen


def _url(path: str, params: dict[str, str | int]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def list_urls(vocab: Vocabulary, count: int, seed: int) -> list[str]:
    rng = random.Random(f"list-{seed}")
    urls = []
    for _ in range(count):
        params: dict[str, str | int] = dict(_filters(vocab, rng))
        page = rng.randint(1, LAST_PAGE)
        if page > 1:
            params["page"] = page
        urls.append(_url(LIST_PATH, params))
    return urls


def summary_urls(vocab: Vocabulary, count: int, seed: int) -> list[str]:
    rng = random.Random(f"summary-{seed}")
    urls = []
    for _ in range(count):
        group_by = rng.choice(GROUPINGS)
        urls.append(_url(SUMMARY_PATH, {"group_by": group_by, **_filters(vocab, rng)}))
    return urls


def analytics_urls(
    path: str, vocab: Vocabulary, count: int, seed: int, choices: dict[str, Sequence[str]] | None = None
) -> list[str]:
    """An analytics answer (`path`) per URL, under filters drawn as for the lists; each parameter of `choices`
    (the funnel's `cohort`) takes one of its values, uniformly."""
    rng = random.Random(f"analytics-{path}-{seed}")
    urls = []
    for _ in range(count):
        params: dict[str, str | int] = {name: rng.choice(values) for name, values in (choices or {}).items()}
        urls.append(_url(path, {**params, **_filters(vocab, rng)}))
    return urls


def detail_urls(vocab: Vocabulary, count: int, seed: int) -> list[str]:
    rng = random.Random(f"detail-{seed}")
    return [f"/api/v1/projects/{rng.choice(vocab.project_ids)}/" for _ in range(count)]


def search_urls(vocab: Vocabulary, count: int, seed: int) -> list[str]:
    rng = random.Random(f"search-{seed}")
    urls = []
    for _ in range(count):
        word, region = rng.choice(vocab.words), rng.choice(vocab.regions)
        params: dict[str, str | int] = {"search": word}
        if rng.random() < SEARCH_REGION_SHARE:
            params["region"] = region
        page = 1 if rng.random() < SEARCH_FIRST_PAGE_SHARE else rng.randint(2, SEARCH_LAST_PAGE)
        if page > 1:
            params["page"] = page
        urls.append(_url(LIST_PATH, params))
    return urls


def write_urls(path: Path, urls: Sequence[str]) -> Path:
    """The file wrk's script walks: one URL a line."""
    for url in urls:
        if not url.startswith("/") or not url.isascii() or any(c.isspace() for c in url):
            raise ValueError(f"not a URL wrk can send as it is: {url!r}")
    path.write_text("".join(f"{url}\n" for url in urls), encoding="ascii")
    return path


def sample(urls: Sequence[str], size: int) -> list[str]:
    """`size` URLs spread evenly over the file, distinct, for the agreement check."""
    step = max(1, len(urls) // max(1, size))
    return list(dict.fromkeys(urls[::step]))[:size]


def repeats(urls: Sequence[str], start: int, requests: int) -> float:
    """The share of `requests` URLs walked from `start` (wrapping) already asked for earlier in the same walk."""
    if not urls or requests <= 0:
        return 0.0
    seen: set[str] = set()
    again = 0
    for i in range(requests):
        url = urls[(start + i) % len(urls)]
        again += url in seen
        seen.add(url)
    return round(again / requests, 3)


def parse_statuses(output: str) -> dict[int, int]:
    """The script's `statuses: 200=812 404=133` line, as {status: responses}."""
    for line in output.splitlines():
        if line.startswith("statuses:"):
            pairs = (item.split("=") for item in line.removeprefix("statuses:").split())
            return {int(status): int(n) for status, n in pairs}
    raise ValueError("the wrk script printed no statuses line")
