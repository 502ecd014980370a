"""Content negotiation (api.negotiation): DRF's choices, made once per format, Accept header and renderers."""

from __future__ import annotations

import pytest
from django.http import Http404
from rest_framework import renderers
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api import negotiation
from api.csv import CSVRenderer
from api.negotiation import ContentNegotiation
from api.renderers import JSONRenderer

RENDERERS = [JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]
ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser
    "text/csv",
    "text/csv;q=0.5, application/json",
    "application/*",
    "text/*",
]
QUERIES = [{}, {"format": "json"}, {"format": "csv"}, {"format": "api"}]


@pytest.fixture(autouse=True)
def _forget_choices(monkeypatch):
    monkeypatch.setattr(ContentNegotiation, "_choices", {})


def request(accept: str | None = None, **query) -> Request:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(APIRequestFactory().get("/api/v1/projects/", query, **headers))


def choice(negotiator, accept, query, classes=RENDERERS, format_suffix=None):
    """The class and media type chosen, or the exception raised."""
    try:
        renderer, media_type = negotiator.select_renderer(
            request(accept, **query), [cls() for cls in classes], format_suffix
        )
    except (NotAcceptable, Http404) as error:  # the refusal is part of what is compared
        return type(error)
    return type(renderer), media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", QUERIES)
def test_the_choice_is_drf_s_the_first_time_and_every_time_after(accept, query):
    drf = choice(DefaultContentNegotiation(), accept, query)
    ours = ContentNegotiation()
    assert [choice(ours, accept, query) for _ in range(3)] == [drf] * 3


def test_the_chosen_renderer_is_the_request_s_own_instance():
    instances = [cls() for cls in RENDERERS]
    for _ in range(2):
        renderer, _media_type = ContentNegotiation().select_renderer(request("text/csv"), instances)
        assert renderer is instances[2]


def test_a_remembered_choice_is_not_made_again(monkeypatch):
    made = []
    select = DefaultContentNegotiation.select_renderer

    def counting(self, *args, **kwargs):
        made.append(1)
        return select(self, *args, **kwargs)

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", counting)
    for _ in range(5):
        choice(ContentNegotiation(), "application/json", {})
    assert len(made) == 1
    choice(ContentNegotiation(), "text/csv", {})
    choice(ContentNegotiation(), "application/json", {}, classes=[JSONRenderer])  # other renderers, other choice
    choice(ContentNegotiation(), "application/json", {}, format_suffix="json")
    assert len(made) == 4


@pytest.mark.parametrize(
    ("accept", "query", "refusal"),
    [("image/png", {}, NotAcceptable), ("application/json", {"format": "xml"}, Http404)],
)
def test_what_cannot_be_served_is_refused_every_time_and_not_remembered(accept, query, refusal):
    for _ in range(2):
        refused = choice(ContentNegotiation(), accept, query)
        assert refused is refusal
    assert ContentNegotiation._choices == {}


def test_an_over_long_accept_header_is_negotiated_but_not_remembered():
    long_accept = "application/json, " + ", ".join(f"text/x-{n}" for n in range(60))
    assert len(long_accept) > negotiation.MAX_REMEMBERED_HEADER
    assert choice(ContentNegotiation(), long_accept, {}) == choice(DefaultContentNegotiation(), long_accept, {})
    assert ContentNegotiation._choices == {}


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(negotiation, "MAX_REMEMBERED", 10)
    for n in range(25):
        choice(ContentNegotiation(), f"application/json, text/x-{n}", {})
        assert len(ContentNegotiation._choices) <= 10


@pytest.mark.django_db
def test_the_api_answers_each_accept_header_with_its_renderer(client):
    assert client.get("/api/v1/regions/", HTTP_ACCEPT="text/csv")["Content-Type"].startswith("text/csv")
    assert client.get("/api/v1/regions/", HTTP_ACCEPT="application/json")["Content-Type"] == "application/json"
    assert client.get("/api/v1/regions/", HTTP_ACCEPT="text/csv")["Content-Type"].startswith("text/csv")
    assert client.get("/api/v1/regions/", HTTP_ACCEPT="image/png").status_code == 406
