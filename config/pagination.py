"""Pagination: page numbers with a count for UI tables, or a cursor for walking large results."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_PAGE_DIGITS = 18  # a page number longer than this is past the end of any table
BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = (
        f"Rows per page: {DEFAULT_PAGE_SIZE} by default, at most {MAX_PAGE_SIZE}; a larger value gives {MAX_PAGE_SIZE} "
        "and a value that is not a positive whole number gives the default."
    )
    max_page_size = MAX_PAGE_SIZE
    invalid_page_message = "Page {page_number} does not exist: {message}"

    def get_page_number(self, request, paginator):
        # A page that is not a number is a bad request; a number past the last page is a 404.
        value = super().get_page_number(request, paginator)
        if isinstance(value, int) or value in self.last_page_strings:
            return value
        if not (value.isascii() and value.isdigit()) or not value.strip("0"):
            raise ValidationError({self.page_query_param: ["A page is a whole number from 1."]})
        if len(value.lstrip("0")) > MAX_PAGE_DIGITS:
            # Past the last page of any table, and too long for int() (it refuses over 4300 digits).
            number = f"{value.lstrip('0')[:MAX_PAGE_DIGITS]}..."
            raise NotFound(
                self.invalid_page_message.format(page_number=number, message=paginator.error_messages["no_results"])
            )
        return int(value)


class IdCursorPagination(pagination.CursorPagination):
    """Keyset pages in id order: stable and cheap however deep a client walks."""

    ordering = ("id",)
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        return self.ordering

    def decode_cursor(self, request):
        # A cursor is only ever one this API wrote: anything else is refused as a bad parameter,
        # including a forged position that would otherwise reach the id comparison.
        encoded = request.query_params.get(self.cursor_query_param) or ""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            valid = False
        else:
            # base64 decoding skips stray characters, so "%%%" would otherwise read as the first page.
            valid = BASE64.fullmatch(encoded) is not None and (
                cursor is None or cursor.position is None or str(cursor.position).isdigit()
            )
        if not valid:
            raise ValidationError({self.cursor_query_param: ["Not a cursor from this API; start again with ?cursor=."]})
        return cursor


class TrackerPagination(pagination.BasePagination):
    """`?page=` (with `count`) by default; `?cursor=` (first page: `?cursor=`) walks in id order.

    Both share `page_size`. The response shape is the same, so clients need one model; `count`
    is null in cursor mode, where counting the whole result would defeat the purpose.
    """

    cursor_query_param = "cursor"

    def __init__(self) -> None:
        self.pages = PageNumberPagination()
        self.cursor = IdCursorPagination()
        self.active: pagination.BasePagination = self.pages

    def paginate_queryset(self, queryset, request, view=None):
        self.active = self.cursor if self.cursor_query_param in request.query_params else self.pages
        return self.active.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data) -> Response:
        if self.active is self.cursor:
            return Response(
                {
                    "count": None,
                    "next": self.cursor.get_next_link(),
                    "previous": self.cursor.get_previous_link(),
                    "results": data,
                }
            )
        return self.pages.get_paginated_response(data)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = self.pages.get_paginated_response_schema(schema)
        response["properties"]["count"]["nullable"] = True
        response["properties"]["count"]["description"] = "Rows matching the filters; null in cursor mode."
        return response

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": (
                    "Page number (page mode, the default). Pages past the last answer 404; a value that is not "
                    "a whole number from 1 answers 400."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": self.pages.page_size_query_description,
                "schema": {"type": "integer", "minimum": 1, "default": DEFAULT_PAGE_SIZE},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Cursor mode: pass an empty value for the first page, then follow `next`. Rows come in id "
                    "order and `count` is null. Best for walking large results. A cursor this API did not write "
                    "answers 400."
                ),
                "schema": {"type": "string"},
            },
        ]

    def get_results(self, data):
        return data["results"]
