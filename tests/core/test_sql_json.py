"""Timestamps in PostgreSQL's JSON, rewritten as the serializers write them (core.sql_json)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from core.sql_json import timestamp_writer, write_timestamps

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MOMENTS = [
    dt.datetime(2024, 12, 31, 23, 59, 59, 1, tzinfo=dt.UTC),
    dt.datetime(2024, 1, 2, 3, 21, tzinfo=dt.UTC),
    dt.datetime(2024, 6, 30, 16, 0, tzinfo=SHANGHAI),
    dt.datetime(1900, 1, 1, 0, 0, tzinfo=dt.UTC),  # Shanghai's local mean time then: an offset in seconds
    dt.datetime(2024, 3, 31, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")),
    dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
]
ZONES = ["Asia/Shanghai", "UTC", "America/St_Johns"]


def drf_writes(moment: dt.datetime) -> str:
    return serializers.DateTimeField().to_representation(moment)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_timestamp_is_written_as_drfs_field_writes_it_in_the_requests_time_zone(moment, zone) -> None:
    with timezone.override(zone):
        assert timestamp_writer()(moment) == drf_writes(moment)


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_without_time_zones_a_timestamp_is_written_naive_in_utc_as_drfs_field_does(moment, settings) -> None:
    settings.USE_TZ = False
    assert timestamp_writer()(moment) == drf_writes(moment)
    assert "+" not in timestamp_writer()(moment)


def test_a_naive_moment_is_left_to_drfs_field(settings) -> None:
    moment = dt.datetime(2024, 5, 1, 8, 0)
    assert timestamp_writer()(moment) == drf_writes(moment) == "2024-05-01T08:00:00+08:00"


def test_another_datetime_format_is_drfs_fields_to_write(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DATETIME_FORMAT": "%Y-%m-%d %H:%M"}  # DRF reloads its own
    assert timestamp_writer()(MOMENTS[1]) == drf_writes(MOMENTS[1]) == "2024-01-02 11:21"


def test_postgresqls_timestamps_in_records_are_rewritten_and_empty_ones_left_empty() -> None:
    parent = {"created_at": "2024-01-02T03:21:00+00:00", "updated_at": "2024-12-31T23:59:59.000001+00:00"}
    child = {"created_at": "2024-01-02T03:21:00+00:00", "updated_at": None}
    write_timestamps([parent, child], ("created_at", "updated_at"))
    assert parent == {"created_at": "2024-01-02T11:21:00+08:00", "updated_at": "2025-01-01T07:59:59.000001+08:00"}
    assert child == {"created_at": "2024-01-02T11:21:00+08:00", "updated_at": None}
