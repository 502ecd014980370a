"""The base viewset every collection uses: key lookups, ETags, history, CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.http import Http404
from drf_spectacular.utils import extend_schema
from pghistory.models import Events
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from config.conditional import PreconditionFailed, etag_of, if_match_holds, if_none_match_hits
from config.csv import stream_csv
from config.history import HistoryEventSerializer, with_exact_values
from config.pagination import PageNumberPagination
from config.renderers import JSONRenderer
from core.querysets import KeyedStatement

WRITE_ACTIONS = {"update", "partial_update", "destroy"}
# `TrackerViewSet._statements`, per viewset class, action, format, key field and columns.
_STATEMENTS: dict[tuple, KeyedStatement] = {}


def is_id(value: str) -> bool:
    """Whether a key from a URL can be a numeric id (digits that fit a bigint), rather than a slug or code."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def key_lookups(value: str, fields) -> list[dict[str, str]]:
    """The filters that may name the record whose key is `value`, in the order they are tried.

    No lookup at all for a key with a NUL byte: PostgreSQL cannot compare such a text, and no key holds one.
    """
    if "\x00" in value:
        return []
    return [{field: value} for field in fields if field != "pk" or is_id(value)]


class TrackerViewSet(viewsets.ModelViewSet):
    """CRUD over one model. Records are found by `lookup_fields` in order (e.g. id, then slug)."""

    lookup_fields: tuple[str, ...] = ("pk",)
    lookup_url_kwarg = "key"
    lookup_value_regex = "[^/]+"
    detail_serializer_class = None
    csv_filename = "export"
    # True where `get_queryset` depends on the action and the accepted format only, never on the request's
    # user, parameters or URL: a record's version (a 304), and its JSON detail with `detail_row_columns`, are
    # then read by statements compiled once per process (`_statements`). Not for nested collections, whose
    # querysets filter by the parent in the URL. tests/config/test_keyed_statements.py holds every viewset
    # that says so to it.
    fixed_querysets = False
    # Where PostgreSQL writes a record's JSON detail: the columns the detail's statement reads, the last one
    # the JSON (`detail_json`); `get_queryset` gives the queryset holding them when `_detail_from_sql()`, and
    # `detail_from_row` turns the record read into the answer. Needs `fixed_querysets`.
    detail_row_columns: tuple[str, ...] = ()

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        view = super().as_view(actions, **initkwargs)
        # The request's transaction is `dispatch`'s to open, not ATOMIC_REQUESTS'.
        view._non_atomic_requests = set(connections)
        return view

    def dispatch(self, request, *args, **kwargs):
        """Run a request that can write in one transaction per database, as ATOMIC_REQUESTS does, and a
        read in none.

        A read here is one statement (the list's count, page and rows included), so a transaction
        around it adds nothing but its BEGIN and COMMIT: two more round trips to the database on every
        read. A write keeps all of ATOMIC_REQUESTS: an exception, or an error DRF answers (it marks the
        transaction for rollback), undoes everything the request wrote. A read made inside a block its
        caller opened (a test's) gets a savepoint, as before: an error it answers must not mark the
        caller's block for rollback.
        """
        aliases = [alias for alias, settings_dict in connections.settings.items() if settings_dict["ATOMIC_REQUESTS"]]
        if request.method in SAFE_METHODS and not any(connections[alias].in_atomic_block for alias in aliases):
            return super().dispatch(request, *args, **kwargs)
        with ExitStack() as transactions:
            for alias in aliases:
                transactions.enter_context(transaction.atomic(using=alias))
            return super().dispatch(request, *args, **kwargs)

    @property
    def accepted_format(self) -> str | None:
        """The format of the renderer content negotiation chose (`json`, `api`, `csv`), None before it ran."""
        return getattr(getattr(self.request, "accepted_renderer", None), "format", None)

    def get_serializer_class(self):
        if self.action != "list" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return super().get_serializer_class()

    def _detail_from_sql(self) -> bool:
        """A JSON detail of a viewset with `detail_row_columns` is written by PostgreSQL. (The browsable API's
        forms read the record's fields, which the detail's statement leaves out.)"""
        if not self.detail_row_columns or getattr(self, "swagger_fake_view", False) or self.action != "retrieve":
            return False
        return self.accepted_format == "json"

    def get_object(self):
        if self._detail_from_sql():
            # One row of the detail's queryset, read by a statement compiled once (`_statements`).
            for statement, key in self._statements(self.detail_row_columns):
                obj = statement.fetch_record(key)
                if obj is not None:
                    self.check_object_permissions(self.request, obj)
                    return obj
            raise Http404
        queryset = self.get_queryset()
        if self.action == "history":
            # The history needs the record's key only, not the related rows a detail prefetches.
            queryset = queryset.prefetch_related(None)
        for lookup in key_lookups(self.kwargs[self.lookup_url_kwarg], self.lookup_fields):
            obj = queryset.filter(**lookup).first()
            if obj is None:
                continue
            if self.action in WRITE_ACTIONS:
                obj = self._lock(queryset, obj)
            self.check_object_permissions(self.request, obj)
            if self.action in WRITE_ACTIONS and not if_match_holds(self.request.headers.get("If-Match"), obj):
                raise PreconditionFailed()
            return obj
        raise Http404

    def _current_version(self) -> int | None:
        """The version of the record the URL names, found as `get_object` finds it, or None."""
        if self.fixed_querysets:
            for statement, key in self._statements(("version",)):
                row = statement.fetch(key)
                if row is not None:
                    return row[0]
            return None
        queryset = self.get_queryset().prefetch_related(None)
        for lookup in key_lookups(self.kwargs[self.lookup_url_kwarg], self.lookup_fields):
            version = queryset.filter(**lookup).values_list("version", flat=True).first()
            if version is not None:
                return version
        return None

    def _statements(self, columns: tuple[str, ...]) -> Iterator[tuple[KeyedStatement, str]]:
        """The statements reading `columns` of the record the URL names, each with its key, in the order
        `get_object` tries the lookups. Compiled once per process and viewset, action, format and key field
        (`KeyedStatement`), from the first request's queryset: only for `fixed_querysets`."""
        if not self.fixed_querysets:
            raise ImproperlyConfigured(f"{type(self).__name__} reads by compiled statements without fixed_querysets")
        for lookup in key_lookups(self.kwargs[self.lookup_url_kwarg], self.lookup_fields):
            [(field, value)] = lookup.items()
            cache_key = (type(self), self.action, self.accepted_format, field, columns)
            statement = _STATEMENTS.get(cache_key)
            if statement is None:
                statement = _STATEMENTS[cache_key] = KeyedStatement(self.get_queryset(), field, columns)
            yield statement, value

    def _lock(self, queryset, obj):
        """Lock the row until the request's transaction ends and return the record as it is now.

        Between the read above and the lock, a colleague may have committed a change: the record
        is then read again, so that the permission check, the If-Match comparison and the fields
        the write does not send all see the locked version, not the one read before. The version
        tells: every UPDATE raises it. A record deleted meanwhile is a 404.
        """
        locked = type(obj)._base_manager.select_for_update().filter(pk=obj.pk).values_list("version", flat=True)
        version = locked.first()
        if version is None:
            raise Http404
        if version != obj.version:
            obj = queryset.filter(pk=obj.pk).first()
            if obj is None:
                raise Http404
        return obj

    def retrieve(self, request, *args, **kwargs):
        header = request.headers.get("If-None-Match")
        if header:
            # Answer a revalidation from the version alone (one small query), not from the whole record
            # with everything a detail joins. Reads pass every object permission, so nothing is skipped.
            version = self._current_version()
            if version is not None and if_none_match_hits(header, _Versioned(version)):
                return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag_of(_Versioned(version))})
        obj = self.get_object()
        etag = etag_of(obj)
        if if_none_match_hits(request.headers.get("If-None-Match"), obj):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.detail_data(obj), headers={"ETag": etag})

    def detail_data(self, obj):
        """What a detail answers for the record: the JSON PostgreSQL wrote (`detail_from_row`), else its detail
        serializer's data (a viewset may write it otherwise)."""
        return self.detail_from_row(obj) if self._detail_from_sql() else self.get_serializer(obj).data

    def detail_from_row(self, obj) -> dict:
        """The answer for a record read with `detail_row_columns`."""
        raise NotImplementedError(f"{type(self).__name__} declares detail_row_columns without detail_from_row")

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        return self._with_etag(response)

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        return self._with_etag(response)

    def _with_etag(self, response: Response) -> Response:
        instance = getattr(self, "_saved_instance", None)
        if instance is not None:
            response["ETag"] = etag_of(instance)
        return response

    def perform_create(self, serializer) -> None:
        serializer.save()
        self._reload(serializer)

    def perform_update(self, serializer) -> None:
        serializer.save()
        self._reload(serializer)

    def _reload(self, serializer) -> None:
        # Answer with the record as a read returns it: annotations, prefetches, database-set fields
        # (the version the database just raised, for the ETag).
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)
        self._saved_instance = serializer.instance

    @extend_schema(
        summary="Change history of a record",
        description=(
            "Every insert, update and delete of this record and of the records attached to it (a "
            "project's participants, milestones, figures, ...), newest first: when, by whom, through "
            "which address, and each changed field's value before and after. Recorded by database "
            "triggers, so bulk changes appear too."
        ),
        responses=HistoryEventSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="history", pagination_class=PageNumberPagination)
    def history(self, request, *args, **kwargs):
        obj = self.get_object()
        events = with_exact_values(Events.objects.references(obj).order_by("-pgh_created_at", "-pgh_id"))
        page = self.paginate_queryset(events)
        users = _usernames(page)
        data = HistoryEventSerializer(page, many=True, context={"usernames": users}).data
        return self.get_paginated_response(data)

    def list(self, request, *args, **kwargs):
        if self.accepted_format == "csv":
            queryset = self.filter_queryset(self.get_queryset())
            return stream_csv(
                queryset,
                self.get_serializer_class(),
                context=self.get_serializer_context(),
                filename=self.csv_filename,
            )
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are always JSON, even when the client asked for CSV.
        if getattr(response, "status_code", 200) >= 400 and hasattr(request, "accepted_renderer"):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


@dataclass(frozen=True)
class _Versioned:
    """What the ETag helpers read from a record: its version."""

    version: int


def _usernames(events) -> dict[int, str]:
    ids = {(event.pgh_context or {}).get("user") for event in events} - {None}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
