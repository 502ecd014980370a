"""The JSON renderer (api.renderers) writes with orjson the very bytes DRF's own renderer writes,."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import JSONRenderer
from regions.models import Region

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVERY_CONTROL_CHARACTER = "".join(chr(code) for code in range(0x20)) + "\x7f"
TEXTS = [
    "",
    "plain",
    'quotes " and backslashes \\ and slashes /',
    EVERY_CONTROL_CHARACTER,
    "丽水市 龙泉市 (Longquan) — 2 亿元",
    "line\u2028and paragraph\u2029separators",
    "emoji 🏭 and a combining e\u0301",
]
DOCUMENTS = {
    "texts": {text: text for text in TEXTS},
    "numbers": [0, -1, 2**63 - 1, -(2**63), True, False, None],
    "decimals": [Decimal("2000000000.00"), Decimal("12.30"), Decimal("-0.01")],
    "times": [
        datetime.datetime(2024, 8, 1, 9, 30, tzinfo=SHANGHAI),
        datetime.datetime(2024, 8, 1, 1, 30, 0, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2024, 8, 1, 1, 30),
        datetime.date(2024, 7, 1),
        datetime.time(9, 30, 15, 500),
        datetime.timedelta(days=1, seconds=5),
    ],
    "others": [uuid.UUID(int=7), gettext_lazy("Regions"), ErrorDetail("Too long.", code="max_length"), (1, "a")],
    "a page": ReturnDict(
        count=2,
        results=ReturnList([{"id": 1, "name": "Lishui"}, {"id": 2, "nested": {"a": [1, [2, {}]]}}], serializer=None),
        serializer=None,
    ),
    "beyond orjson": [2**64, {1: "an integer key"}, {"nested": -(2**70)}],
    "empty": {},
    "an empty list": [],
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_bytes_are_drfs_own(name):
    document = DOCUMENTS[name]
    assert JSONRenderer().render(document) == renderers.JSONRenderer().render(document)


@pytest.mark.parametrize("name", [name for name in DOCUMENTS if name != "beyond orjson"])
def test_orjson_writes_them_not_the_fallback(name, monkeypatch):
    def no_fallback(*args, **kwargs):
        raise AssertionError("DRF's renderer was used")

    expected = renderers.JSONRenderer().render(DOCUMENTS[name])
    monkeypatch.setattr(renderers.JSONRenderer, "render", no_fallback)
    assert JSONRenderer().render(DOCUMENTS[name]) == expected


@pytest.mark.django_db
def test_a_queryset_is_written_as_drf_writes_it():
    Region.objects.create(code="990000", name="Somewhere", level="province")

    def values():
        return {"regions": Region.objects.filter(code="990000").values("code", "name")}

    assert JSONRenderer().render(values()) == renderers.JSONRenderer().render(values())
    assert b'"code":"990000"' in JSONRenderer().render(values())


def test_indented_output_is_drfs_own():
    document = DOCUMENTS["a page"]
    media_type = "application/json; indent=4"
    ours = JSONRenderer().render(document, accepted_media_type=media_type)
    assert ours == renderers.JSONRenderer().render(document, accepted_media_type=media_type)
    assert b'\n    "count": 2' in ours


def test_nothing_is_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_what_drf_refuses_is_refused_the_same_way():
    with pytest.raises(UnicodeEncodeError):
        renderers.JSONRenderer().render({"lone surrogate": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render({"lone surrogate": "\ud800"})


def test_a_decimal_coerced_to_a_float_is_refused_when_not_finite(settings):
    """With COERCE_DECIMAL_TO_STRING off a Decimal is written as a float; NaN is not strict JSON."""
    with pytest.raises(ValueError, match="JSON compliant"):
        renderers.JSONRenderer().render({"value": Decimal("NaN")})
    with pytest.raises(ValueError, match="JSON compliant"):
        JSONRenderer().render({"value": Decimal("NaN")})


@pytest.mark.django_db
def test_the_api_answers_with_it(client):
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert isinstance(response.accepted_renderer, JSONRenderer)
