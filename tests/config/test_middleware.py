"""Languages and flash messages as Django's locale and message middleware give them, on API answers and pages."""

from __future__ import annotations

import pytest
from django.test import override_settings

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
pytestmark = pytest.mark.django_db
WITH_LANGUAGE_PREFIXES = override_settings(ROOT_URLCONF="tests.config.middleware_urls")


def vary(response) -> set[str]:
    return {part.strip() for part in response.get("Vary", "").split(",")}


@pytest.mark.parametrize(
    ("headers", "language"),
    [(ZH, "zh-hans"), ({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}, "zh-hans"), (EN, "en"), ({}, "en")],
)
def test_an_api_answer_states_its_language_and_varies_on_the_asked_one(client, headers, language):
    response = client.get("/api/v1/regions/", **headers)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert "Accept-Language" in vary(response)


def test_the_language_cookie_wins_over_the_browser_language(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/api/v1/projects/no-such-project/", **EN)
    assert response.status_code == 404
    assert response["Content-Language"] == "zh-hans"
    assert response.json()["error"]["message"] == "未找到。"


def test_an_error_page_outside_the_api_states_its_language_too(client):
    response = client.get("/no-such-page/", **ZH)
    assert response.status_code == 404
    assert response["Content-Language"] == "zh-hans"
    assert "Accept-Language" in vary(response)


@WITH_LANGUAGE_PREFIXES
@pytest.mark.parametrize(("path", "language"), [("/zh-hans/language/", "zh-hans"), ("/en/language/", "en")])
def test_with_language_prefixed_urls_the_path_chooses_the_language(client, path, language):
    response = client.get(path, **EN)
    assert response.status_code == 200
    assert response.content.decode() == language
    assert response["Content-Language"] == language
    # Django's rule: a page whose path names its language does not vary on the browser's.
    assert "Accept-Language" not in vary(response)


@WITH_LANGUAGE_PREFIXES
def test_with_language_prefixed_urls_a_path_without_one_is_sent_to_the_browser_language(client):
    response = client.get("/language/", **ZH)
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/language/"


@WITH_LANGUAGE_PREFIXES
def test_a_flash_message_left_by_a_page_is_shown_by_the_next(client):
    response = client.get("/messages/leave/", follow=True)
    assert response.content.decode() == "Saved."
