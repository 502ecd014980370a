"""No lost updates: strong ETags from a version column, and `If-Match` on every write.

Each table has a `version` that a database trigger raises on every UPDATE (bulk ones too; not the
UPDATEs of columns the database derives, see projects/migrations/0012). A
single-record response carries `ETag: "<version>"`; `PUT`, `PATCH` and `DELETE` with an
`If-Match` that no longer matches get 412 and change nothing, and without one get 428 (unless
`API_REQUIRE_IF_MATCH` is off). The row is locked (SELECT ... FOR
UPDATE) between the comparison and the write, so two writers cannot both pass the check.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

VERSION_TRIGGER_SQL = r"""
CREATE OR REPLACE FUNCTION tracker_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A trigger rewriting what the database derives for a record from other rows (a project's filter
    -- keys, after a region moved) says so: that is not a change of the record, nor of its ETag.
    IF current_setting('tracker.derived_write', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;
"""


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The record changed since you read it (its ETag no longer matches If-Match); read it again.")
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    """A write without `If-Match` (RFC 6585): it could overwrite a change it never saw."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "Send an If-Match header with the record's ETag: read the record (GET) and copy its ETag header, "
        'such as If-Match: "3". If-Match: * writes whatever the record holds now.'
    )
    default_code = "precondition_required"


def etag_of(obj) -> str:
    return f'"{obj.version}"'


def if_match_holds(header: str | None, obj) -> bool:
    """RFC 9110 If-Match with strong comparison: `*`, or a list containing the current ETag."""
    if header is None:
        return True
    header = header.strip()
    if header == "*":
        return True
    current = etag_of(obj)
    return any(candidate.strip() == current for candidate in header.split(","))


def if_none_match_hits(header: str | None, obj) -> bool:
    if not header:
        return False
    current = etag_of(obj)
    return header.strip() == "*" or any(c.strip().removeprefix("W/") == current for c in header.split(","))


def install_version_triggers(tables: list[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Create (or replace) the version trigger on each table that has a `version` column."""
    with connections[using].cursor() as cursor:
        cursor.execute(VERSION_TRIGGER_SQL)
        for table in tables:
            cursor.execute(
                f'CREATE OR REPLACE TRIGGER "{table}_bump_version" BEFORE UPDATE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION tracker_bump_version()"
            )
