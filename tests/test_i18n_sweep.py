"""One language on the page (issue 21, item 9): every admin page and the API's error paths, asked for in
Chinese, show no English that a catalogue leaves untranslated.

What counts as "English only" is worked out from the catalogues themselves, not listed by hand: every
message of every catalogue Django reads (Django's, each installed app's, the project's; any language's
.mo names its messages) that still reads the same under `zh-hans`, plus the names Django derives from
the registered models (an app's, a model's and a field's verbose name) that read the same in both
languages. A page fails when its visible text (text nodes, titles, placeholders, button labels; not
scripts, styles or a textarea's content) holds one of them as a whole phrase. Records' names are data:
they come from the article and the factories, never from a catalogue, so they are not flagged.

An API error message has no catalogue to go by (an unmarked string has no entry), so under `zh-hans`
every message of an error body must hold Chinese.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from knox.models import AuthToken

from accounts.models import RegionAssignment
from projects.models import Project
from regions.models import Region
from tests.factories import (
    CommitmentObservationFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    ProjectWarningFactory,
    SigningEventProjectFactory,
    StaffUserFactory,
    WarningRuleFactory,
)

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
CJK = re.compile(r"[\u3400-\u9fff]")
# Placeholders of both styles a message may hold: printf (`%(name)s`, `%d`) and str.format (`{name}`). A number
# stands for digits; any other value for a few words at most, so that a message cannot span a paragraph.
NUMBER = re.compile(r"%(?:\(\w+\))?[di]")
PLACEHOLDER = re.compile(r"(%(?:\(\w+\))?[sdrif]|\{\w*\})")
# A message is worth looking for when its fixed text has a word of at least two letters.
WORD = re.compile(r"[A-Za-z]{2,}")
# What reads the same in any language: codes, units and names that are not English words.
SAME_IN_CHINESE = {"ID", "URL", "IP", "JSON", "CSV", "XLSX", "XLS", "TSV", "HTML", "YAML", "ODS", "GET", "POST", "OK"}
# A one-word message counts when it stands apart, not inside a sentence: "second" in a quote is data.
LATIN_AROUND = (r"(?<![A-Za-z0-9_])(?<![A-Za-z][ '\u2019-])", r"(?![A-Za-z0-9_])(?![ '\u2019-][A-Za-z])")


#
# What is English only
#


def locale_directories() -> list[Path]:
    """Where Django looks for catalogues: its own, each installed app's, LOCALE_PATHS."""
    found = [Path(django.__file__).parent / "conf" / "locale"]
    found += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    found += [Path(path) for path in settings.LOCALE_PATHS]
    return [directory for directory in found if directory.is_dir()]


def catalogue_messages() -> set[tuple[str | None, str, bool]]:
    """(context, message, plural?) of every message in the compiled catalogues, in any language."""
    keys: set[tuple[str | None, str, bool]] = set()
    for directory in locale_directories():
        for path in directory.glob("*/LC_MESSAGES/django.mo"):
            with path.open("rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
            for key in catalog:
                plural = isinstance(key, tuple)
                text = key[0] if plural else key
                context, _sep, message = text.rpartition("\x04")
                if message:
                    keys.add((context or None, message, plural))
    return keys


def reads_the_same_in_chinese(context: str | None, message: str, plural: bool) -> bool:
    with translation.override("zh-hans"):
        if plural:
            shown = translation.npgettext(context, message, message, 1) if context else None
            shown = shown or translation.ngettext(message, message, 1)
        else:
            shown = translation.pgettext(context, message) if context else translation.gettext(message)
    return shown == message


def model_names() -> Iterator[str]:
    """The names Django derives from the registered models: what the sidebar, titles, column headers, form
    labels and history entries call them. (A user's or group's permissions are listed by their stored
    names, "Can add project event", English in every Django site: data, like a record's name.)"""
    for model in admin.site._registry:
        opts = model._meta
        yield opts.app_config.verbose_name
        yield opts.verbose_name
        yield opts.verbose_name_plural
        yield from (field.verbose_name for field in opts.get_fields() if hasattr(field, "verbose_name"))


def english_phrase(message: str) -> str | None:
    """The pattern of a message as it shows (placeholders filled), or None if nothing in it is a word."""
    message = " ".join(message.split())
    parts = PLACEHOLDER.split(message)
    texts, placeholders = parts[::2], parts[1::2]
    if message in SAME_IN_CHINESE or not any(WORD.search(text) for text in texts):
        return None
    pattern = re.escape(texts[0])
    for placeholder, text in zip(placeholders, texts[1:], strict=True):
        pattern += (r"[\d.,]+" if NUMBER.fullmatch(placeholder) else r"\S+(?: \S+){0,3}?") + re.escape(text)
    if " " not in message and not placeholders:
        return LATIN_AROUND[0] + pattern + LATIN_AROUND[1]
    return pattern


@functools.cache
def english_only() -> re.Pattern:
    """One pattern matching, in any case, every message left in English: a phrase anywhere as a whole, a
    lone word where it stands apart."""
    phrases = {
        english_phrase(message)
        for context, message, plural in catalogue_messages()
        if reads_the_same_in_chinese(context, message, plural)
    }
    with translation.override("en"):
        english = [str(name) for name in model_names()]
    with translation.override("zh-hans"):
        chinese = [str(name) for name in model_names()]
    phrases |= {english_phrase(en) for en, zh in zip(english, chinese, strict=True) if en == zh}
    phrases.discard(None)
    # Longest first, so that "Select all" is reported rather than a shorter message inside it.
    alternatives = "|".join(sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])", re.IGNORECASE)


#
# What a page shows
#


class VisibleText(HTMLParser):
    """The texts a reader sees: text nodes, and the attributes a browser shows (title, placeholder,
    a button's value). An image's alt text shows only when the image fails to load: not counted."""

    HIDDEN = {"script", "style", "textarea", "template"}
    SHOWN_ATTRIBUTES = ("title", "placeholder")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        attributes = dict(attrs)
        self.texts += [attributes[name] for name in self.SHOWN_ATTRIBUTES if attributes.get(name)]
        if tag == "input" and attributes.get("type") in {"submit", "button", "reset"} and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.texts]


def english_on(html: str) -> list[str]:
    """Each visible text that holds a message left in English, with the message found."""
    found = []
    for text in visible_texts(html):
        match = english_only().search(text)
        if match:
            found.append(f"{match.group(0)!r} in {text[:120]!r}")
    return found


def test_the_sweep_flags_what_is_left_in_english_and_passes_chinese_and_data():
    """The check itself: it catches a message no catalogue gives Chinese for, not Chinese, not data."""
    with translation.override("zh-hans"):
        assert translation.gettext("Select all") == "全选"  # import-export's, translated in ours
    # Left in English by django-filter (Chinese only as zh_CN, which zh-hans does not read); not on an admin page.
    assert english_on("<p>Multiple values may be separated by commas.</p>")
    assert english_on('<input type="submit" value="Multiple values may be separated by commas.">')
    # A one-word message ("second", django-filter's) counts standing alone, not inside a quote, which is data.
    assert english_on("<th>Second</th>")
    assert not english_on("<p>Kelun's second joint undertaking with Longquan</p>")
    assert not english_on("<p>保存</p><p>Sichuan Kelun Pharmaceutical Co., Ltd.</p>")
    assert not english_on("<script>var hint = 'Multiple values may be separated by commas.';</script>")


#
# The admin, page by page
#


@pytest.fixture(scope="module")
def rows(article, django_db_blocker):
    """A row of every model the admin lists: the article's, plus what it lacks (a token, a region
    assignment, a follow-up)."""
    with django_db_blocker.unblock(), transaction.atomic():
        officer = StaffUserFactory(username="sweep-officer")
        officer.groups.add(Group.objects.first())
        AuthToken.objects.create(user=officer)
        RegionAssignment.objects.create(user=officer, region=Region.objects.order_by("pk").first())
        project = Project.objects.order_by("pk").first()
        FollowUpFactory(project=project, author=officer)
        FundsInPlaceFactory(project=project)
        WarningRuleFactory(region=project.region)
        SigningEventProjectFactory(project=project, event__region=project.region, event__name="春季招商引资集中签约")
        ProjectWarningFactory(
            project=project,
            snoozed_until=dt.date(2099, 1, 1),
            snooze_reason="等待土地审批",
            snoozed_by=officer,
            evidence={"signed_on": "2024-07", "counted_from": "2024-07-31", "months": 12, "source": "milestone"},
        )
        CommitmentObservationFactory(commitment__project=project)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def login_attempts() -> None:
    """A failed login as django-axes records it (rolled back with the test)."""
    attempt = {"user_agent": "Firefox", "ip_address": "192.0.2.1", "username": "sweep-officer"}
    request = {"http_accept": "*/*", "path_info": "/admin/login/"}
    AccessAttempt.objects.create(**attempt, **request, failures_since_start=1)
    AccessLog.objects.create(**attempt, **request)
    AccessFailureLog.objects.create(**attempt, **request)


# pghistory's raw events list links to no row (core.events_admin): its rows' pages are not offered.
NOT_OFFERED = {("pghistory.Events", "change"), ("pghistory.Events", "history")}


def admin_pages() -> Iterator[tuple[str | None, str, str]]:
    """(model or app label, or None; page; url name) of every page of the admin."""
    yield None, "index", "admin:index"
    yield None, "password change", "admin:password_change"
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        yield app_label, "app", "admin:app_list"
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        for page in ("changelist", "add", "change", "history", "import", "export"):
            if (model._meta.label, page) in NOT_OFFERED:
                continue
            yield model._meta.label, page, f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"


PAGES = list(admin_pages())
PAGE_IDS = [f"{label or 'admin'}-{page}" for label, page, _name in PAGES]


def url_of(label: str | None, page: str, name: str) -> str | None:
    if page == "app":
        return reverse(name, kwargs={"app_label": label})
    if label is None:
        return reverse(name)
    model = apps.get_model(label)
    try:
        if page in {"change", "history"}:
            row = model._default_manager.order_by("pk").first()
            assert row is not None, f"no {label} row to open"
            return reverse(name, args=[row.pk])
        return reverse(name)
    except NoReverseMatch:
        return None  # the model has no such page (import and export are only on some)


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "page", "name"), PAGES, ids=PAGE_IDS)
def test_an_admin_page_in_chinese_shows_no_english_left_in_a_catalogue(
    admin_client, rows, login_attempts, label, page, name
):
    url = url_of(label, page, name)
    if url is None:
        assert page in {"import", "export"}
        return
    response = admin_client.get(url, **ZH)
    if response.status_code == 403:  # a page the admin does not offer (adding a login attempt)
        assert page in {"add", "change"}
        return
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Language"] == "zh-hans"
    assert english_on(response.content.decode()) == []


#
# The API's error paths
#


def messages_of(error: dict) -> Iterator[str]:
    """Every message of an error body: its own and each field's."""
    yield error["message"]
    for items in (error.get("fields") or {}).values():
        yield from (item["message"] for item in items)


def in_chinese(message: str, sent: dict) -> bool:
    """Chinese, with no English prose left in: Latin letters only in what the client sent and in codes
    (`name, planned_investment`), never two words in a row ("Page 2 does not exist")."""
    for value in sent.values():
        message = message.replace(str(value), "")
    return bool(CJK.search(message)) and not re.search(r"[A-Za-z]+ +[A-Za-z]+", message)


# (method, URL, what is sent, the field the error names: None for the error's own message only)
API_ERRORS = {
    "an unknown sort field": ("get", "/api/v1/projects/", {"ordering": "nope"}, "ordering"),
    "a bad group_by": ("get", "/api/v1/projects/summary/", {"group_by": "nope"}, "group_by"),
    "a page past the end": ("get", "/api/v1/projects/", {"page": "999"}, None),
    "a page past any table": ("get", "/api/v1/projects/", {"page": "9" * 40}, None),
    "a page that is not a number": ("get", "/api/v1/projects/", {"page": "two"}, "page"),
    "a cursor not from the API": ("get", "/api/v1/projects/", {"cursor": "%%%"}, "cursor"),
    "an unknown region key on write": ("post", "/api/v1/projects/", {"name": "Sweep", "region": "NOPE"}, "region"),
    "a region key of the wrong type": ("post", "/api/v1/projects/", {"name": "Sweep", "region": [1]}, "region"),
    "a credit code of the wrong length": (
        "post",
        "/api/v1/companies/",
        {"name": "Sweep", "kind": "enterprise", "credit_code": "9133"},
        "credit_code",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", API_ERRORS)
def test_an_api_error_in_chinese_says_everything_in_chinese(api_client, admin_user, case):
    method, url, params, field = API_ERRORS[case]
    api_client.force_authenticate(admin_user)
    if method == "get":
        response = api_client.get(url, params, **ZH)
    else:
        response = api_client.post(url, params, format="json", **ZH)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Language"] == "zh-hans"
    error = response.json()["error"]
    assert field is None or field in error["fields"], error
    messages = list(messages_of(error))
    assert messages
    assert [message for message in messages if not in_chinese(message, sent=params)] == []


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", ["region", "industry", "status", "year"])
def test_the_summary_s_own_labels_are_in_chinese(api_client, rows, group_by):
    """The totals row and the rows the summary makes up itself ("all projects", "no industry recorded",
    "no actual milestone"); the regions' and industries' names are data."""
    response = api_client.get("/api/v1/projects/summary/", {"group_by": group_by}, **ZH)
    assert response.status_code == 200
    summary = response.json()
    assert summary["totals"]["label"] == "全部项目"
    made_up = [row["label"] for row in summary["rows"] if row["key"] is None or group_by in {"status", "year"}]
    assert [label for label in made_up if not CJK.search(label) and not label.isdigit()] == []
