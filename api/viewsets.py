"""The base viewset every collection uses: key lookups, ETags, history, CSV export."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.http import Http404
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from pghistory.models import Events
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api.asof import PARAMETER as AS_OF
from api.asof import AsOfMixin, has_history
from api.conditional import (
    PreconditionFailed,
    PreconditionRequired,
    etag_of,
    if_match_holds,
    if_none_match_hits,
)
from api.csv import stream_csv
from api.history import HistoryEventSerializer, with_exact_values
from api.pagination import PageNumberPagination
from api.projection import Projection, projection_of
from api.renderers import JSONRenderer

WRITE_ACTIONS = {"update", "partial_update", "destroy"}
UNKNOWN_PARAMETER = _("This list reads no such parameter; it reads: %(accepted)s.")
CURSOR_ORDER = _("Cursor pages come in id order: send ordering or cursor, not both.")


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


def accepted_format(request) -> str | None:
    """The format of the renderer content negotiation chose (`json`, `api`, `csv`), None before it ran."""
    return getattr(getattr(request, "accepted_renderer", None), "format", None)


def refuse_unknown_parameters(request, accepted: list[str], message=UNKNOWN_PARAMETER) -> None:
    """400 naming each query parameter the request sends that `accepted` does not hold (`message` says which
    ones it reads), for every view that reads query parameters.

    A misspelt filter (`?regoin=331181`) ignored would answer with every record, as if it matched.
    """
    errors = {
        name: [message % {"accepted": ", ".join(accepted)}] for name in request.query_params if name not in accepted
    }
    if (
        "cursor" in accepted
        and "cursor" in request.query_params
        and api_settings.ORDERING_PARAM in request.query_params
    ):
        errors[api_settings.ORDERING_PARAM] = [CURSOR_ORDER]
    if errors:
        raise ValidationError(errors)


class ErrorsAsJSONMixin:
    """Errors are always JSON, even when the client asked for CSV: for every view that also answers in CSV."""

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "status_code", 200) >= 400 and hasattr(request, "accepted_renderer"):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class TrackerViewSet(AsOfMixin, ErrorsAsJSONMixin, viewsets.ModelViewSet):
    """CRUD over one model. Records are found by `lookup_fields` in order (e.g. id, then slug).

    With `projected`, JSON list pages and details are written by PostgreSQL from the serializers
    (`api.projection`): one statement a read, no model instance. Every other answer (CSV, the browsable
    API, writes) goes through the same serializers over `get_queryset()`, whose joins and prefetches the
    projection derives from them. A write runs in one transaction (`create`, `update`, `destroy`), and a
    read in none: authentication, permissions and throttles run before it, so their counts stay when a
    write fails.
    """

    lookup_fields: tuple[str, ...] = ("pk",)
    lookup_url_kwarg = "key"
    lookup_value_regex = "[^/]+"
    detail_serializer_class = None
    csv_filename = "export"
    projected = False

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        if cls.projected:
            # Compiled at startup (URL loading): a serializer the projection cannot write fails here.
            for serializer_class in {cls.serializer_class, cls.detail_serializer_class} - {None}:
                projection_of(serializer_class)
        return super().as_view(actions, **initkwargs)

    def get_permissions(self):
        permissions = super().get_permissions()
        if self.action == "history":  # on top of the collection's own: it names who changed what
            permissions.extend(import_string(name)() for name in settings.API_HISTORY_PERMISSION_CLASSES)
        return permissions

    def get_serializer_class(self):
        if self.action != "list" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return super().get_serializer_class()

    def base_queryset(self):
        """The viewset's records without what its serializers read: what a projection, a version or a history
        reads (`get_queryset` adds the serializer's joins and prefetches)."""
        return super().get_queryset()

    def get_queryset(self):
        queryset = self.base_queryset()
        if self.projected and self.action != "history":
            return projection_of(self.get_serializer_class()).queryset(queryset)
        return queryset

    def projection(self) -> Projection | None:
        """The projection that writes this request's answer, when PostgreSQL writes it: a JSON list or detail
        of a projected viewset (not the schema's stand-in view)."""
        if not self.projected or getattr(self, "swagger_fake_view", False):
            return None
        if self.action not in ("list", "retrieve") or accepted_format(self.request) != "json":
            return None
        return projection_of(self.get_serializer_class())

    def get_object(self):
        queryset = self.get_queryset()
        if self.action == "history":
            # The history needs the record's key only, not the related rows a detail prefetches.
            queryset = queryset.prefetch_related(None)
        obj = self._named(queryset)
        if obj is None:
            raise Http404
        if self.action in WRITE_ACTIONS:
            obj = self._lock(queryset, obj)
        self.check_object_permissions(self.request, obj)
        if self.action in WRITE_ACTIONS:
            self._check_if_match(obj)
        return obj

    def _named(self, queryset):
        """The first of `queryset` (a queryset or a `values_list`) that the URL's key names, trying
        `lookup_fields` in order, or None."""
        for lookup in key_lookups(self.kwargs[self.lookup_url_kwarg], self.lookup_fields):
            # Each lookup field is unique: no order to compile and sort by, as `first()` would add.
            for found in queryset.filter(**lookup)[:1]:
                return found
        return None

    def _check_if_match(self, obj) -> None:
        """A write names the version it changes, and that version is still the record's (after the record
        is found and the user's right to it checked: a 404 or a 403 says more than a 428).

        Without `If-Match`, two clients that read the same version both write and the first change is lost:
        428, unless `API_REQUIRE_IF_MATCH` is off. `If-Match: *` (RFC 9110: any current version) is an
        explicit "overwrite whatever is there" and passes.
        """
        header = self.request.headers.get("If-Match")
        if header is None and settings.API_REQUIRE_IF_MATCH:
            raise PreconditionRequired()
        if not if_match_holds(header, obj):
            raise PreconditionFailed()

    def _projected_object(self, projection: Projection):
        """The record the URL names with its JSON (`projected`) and version, read by one statement."""
        base = self.base_queryset().only("pk", "version", *(f for f in self.lookup_fields if f != "pk"))
        obj = self._named(projection.annotate(base).order_by())
        if obj is None:
            raise Http404
        self.check_object_permissions(self.request, obj)
        return obj

    def _current_version(self) -> int | None:
        """The version of the record the URL names, found as `get_object` finds it, or None."""
        return self._named(self.base_queryset().order_by().values_list("version", flat=True))

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
        projection = self.projection()
        if projection is not None:
            obj = self._projected_object(projection)
            data = projection.load([obj.projected])[0]
        else:
            obj = self.get_object()
            data = self.get_serializer(obj).data
        etag = etag_of(obj)
        if if_none_match_hits(request.headers.get("If-None-Match"), obj):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        return self._with_etag(response)

    @transaction.atomic
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
        # A write that changes nothing is not saved: an UPDATE would raise the version (and every other
        # client's ETag would go stale, a 412 for nothing) and record an empty history event.
        if changes_anything(serializer.instance, serializer.validated_data):
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

    # Read by every list, whatever its filters: DRF's format override and the two kinds of page.
    COMMON_LIST_PARAMETERS = ("format", "page", "page_size", "cursor")
    # Read as of a past moment (api.asof): a list and a record, in JSON, of a model with history.
    as_of_actions = ("list", "retrieve")

    def offers_as_of(self) -> bool:
        return super().offers_as_of() and accepted_format(self.request) != "csv"

    def as_of_documented(self) -> bool:
        return super().as_of_documented() and has_history(self.base_queryset().model)

    def list_parameters(self) -> list[str]:
        """The query parameters this list reads: its filters, its order, pages and the format."""
        names = list(getattr(getattr(self, "filterset_class", None), "base_filters", {}))
        if getattr(self, "ordering_fields", None):
            names.append(api_settings.ORDERING_PARAM)
        past = [AS_OF] if isinstance(self, AsOfMixin) and self.as_of_documented() else []
        return [*names, *self.COMMON_LIST_PARAMETERS, *past]

    def list(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, self.list_parameters())
        projection = self.projection()
        if projection is not None:
            queryset = self.filter_queryset(self.base_queryset()).only("pk")
            page = self.paginate_queryset(projection.annotate(queryset))
            return self.get_paginated_response(projection.load(record.projected for record in page))
        if accepted_format(request) == "csv":
            queryset = self.filter_queryset(self.get_queryset())
            return stream_csv(
                queryset,
                self.get_serializer_class(),
                context=self.get_serializer_context(),
                filename=self.csv_filename,
            )
        return super().list(request, *args, **kwargs)


@dataclass(frozen=True)
class _Versioned:
    """What the ETag helpers read from a record: its version."""

    version: int


def changes_anything(instance: models.Model, values: dict) -> bool:
    """Whether saving `values` (a serializer's validated data) would change the record's stored values.

    A value the model does not hold as a field (a serializer's own) counts as a change: only what can be
    compared is skipped.
    """
    opts = instance._meta
    for name, value in values.items():
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.many_to_many:
            current = {related.pk for related in getattr(instance, name).all()}
            if current != {getattr(item, "pk", item) for item in value}:
                return True
        elif field.many_to_one or field.one_to_one:
            if not field.concrete:
                return True
            if isinstance(value, models.Model):
                value = getattr(value, field.target_field.attname)
            if field.value_from_object(instance) != value:
                return True
        elif not field.concrete or field.value_from_object(instance) != value:
            return True
    return False


def _usernames(events) -> dict[int, str]:
    ids = {(event.pgh_context or {}).get("user") for event in events} - {None}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
