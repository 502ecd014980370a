"""The base viewset every collection uses: key lookups, stable ordering, CSV export, 409s."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import viewsets
from rest_framework.renderers import JSONRenderer

from config.csv import stream_csv


class TrackerViewSet(viewsets.ModelViewSet):
    """CRUD over one model. Records are found by `lookup_fields` in order (e.g. id, then slug)."""

    lookup_fields: tuple[str, ...] = ("pk",)
    lookup_url_kwarg = "key"
    lookup_value_regex = "[^/]+"
    detail_serializer_class = None
    csv_filename = "export"

    def get_serializer_class(self):
        if self.action != "list" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return super().get_serializer_class()

    def get_object(self):
        queryset = self.get_queryset()
        value = self.kwargs[self.lookup_url_kwarg]
        for field in self.lookup_fields:
            if field == "pk" and not (value.isascii() and value.isdigit() and len(value) <= 18):
                continue
            obj = queryset.filter(**{field: value}).first()
            if obj is not None:
                self.check_object_permissions(self.request, obj)
                return obj
        return get_object_or_404(queryset.none())

    def perform_create(self, serializer) -> None:
        serializer.save()
        self._reload(serializer)

    def perform_update(self, serializer) -> None:
        serializer.save()
        self._reload(serializer)

    def _reload(self, serializer) -> None:
        # Answer with the record as a read returns it: annotations, prefetches, database-set fields.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", None) == "csv":
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
