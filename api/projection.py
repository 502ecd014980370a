"""A serializer's JSON, written by PostgreSQL in the statement that reads the record.

DRF builds a list page or a detail by walking a serializer's fields for every record, with model
instances for every related record: milliseconds per page. `Projection(SerializerClass)` compiles,
once per process, the same serializer into one SQL expression that writes the record's JSON, field
for field and in the serializer's order, so that a page or a detail is one statement and no model
instance. The serializer stays the one description of the answer; nothing here is written per
resource:

- a model field is its column (a decimal as text, which is DRF's string with the column's places:
  the serializer's places must be the column's, or compiling fails);
- a `KeyRelatedField` or a nested serializer over a foreign key is a correlated subquery writing the
  related record with its summary serializer (null when the key is null);
- a slug field (`SlugRelatedField`) over a foreign key is a subquery of the slug; over a many
  relation, an array of slugs;
- a nested list serializer (`many=True`) is an array of its child's JSON over the reverse or many
  relation, in the related model's `Meta.ordering` (then id), as a prefetch reads them;
- an `SQLField` is its declared SQL; any other field (a `SerializerMethodField`, a field without a
  column) makes compiling fail, at startup (`TrackerViewSet.as_view` compiles its projections);
- timestamps: PostgreSQL writes them in UTC; `Projection.load` rewrites them as DRF's
  `DateTimeField` writes them, in the request's time zone.

`Projection.queryset` derives the joins and prefetches the same serializer needs on the ORM path
(the browsable API, CSV, write responses), so both paths read the same rows in the same order.
tests/api/test_projection.py holds every projection to its serializer's bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS
from django.db.models import (
    DecimalField,
    Expression,
    F,
    ForeignKey,
    Func,
    JSONField,
    ManyToManyField,
    Model,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.related import ForeignObjectRel, OneToOneField
from django.db.models.functions import Cast
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers
from rest_framework.settings import ISO_8601, api_settings

# PostgreSQL's functions take at most 100 arguments: json_build_object at most 50 keys per call.
MAX_KEYS_PER_CALL = 50
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A timestamp's place in the JSON: keys, with None for "each element of this array".
Path = tuple[str | None, ...]


class SQLField(serializers.Field):
    """A read-only field whose value PostgreSQL computes: `sql()` gives an expression over the outer row
    (`OuterRef("pk")`, ...) whose value is the field's JSON, written as the serializer writes it.

    On the ORM path the same expression is an annotation of the queryset (`Projection.queryset`), which
    the field reads: both paths run the same SQL. `schema` describes the value in the OpenAPI document.
    The JSON it gives must hold no timestamp (they would not be rewritten in the request's time zone).
    """

    def __init__(self, sql: Callable[[], Expression], *, schema: Any = None, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.sql = sql
        self.schema = schema

    def get_attribute(self, instance: Model) -> Any:
        name = annotation_name(self.field_name)
        if hasattr(instance, name):
            return getattr(instance, name)
        # A record read some other way than through `Projection.queryset`: the same SQL, for it alone.
        rows = type(instance)._base_manager.filter(pk=instance.pk).annotate(value=Cast(self.sql(), TextField()))
        return rows.values_list("value", flat=True).first()

    def to_representation(self, value: Any) -> Any:
        # The annotation is the JSON as text (`Projection.queryset`): json, unlike jsonb, keeps the keys' order.
        return orjson.loads(value) if isinstance(value, str) else value


def annotation_name(field_name: str) -> str:
    """Where `Projection.queryset` puts an `SQLField`'s value (not its own name: a relation may hold it)."""
    return f"_sql_{field_name}"


class SQLFieldSchema(OpenApiSerializerFieldExtension):
    """An `SQLField` in the OpenAPI document: its `schema` in answers, nothing in requests (it is read-only)."""

    target_class = SQLField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request" or self.target.schema is None:
            return None if direction == "request" else {}
        return auto_schema._map_serializer_field(force_instance(self.target.schema), direction)


class JSONObject(Func):
    """`json_build_object('key', value, ...)`, the keys in the order given, written into the SQL (they are
    identifiers of our serializers, checked as such). Django's `JSONObject` builds jsonb, which sorts keys."""

    output_field = JSONField()

    def __init__(self, fields: dict[str, Any]) -> None:
        for key in fields:
            if not _KEY.fullmatch(key):
                raise ImproperlyConfigured(f"{key!r} is not a JSON key a projection writes")
        self.keys = list(fields)
        super().__init__(*(F(value) if isinstance(value, str) else value for value in fields.values()))

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        calls = []
        for start in range(0, len(parts), MAX_KEYS_PER_CALL):
            end = start + MAX_KEYS_PER_CALL
            pairs = zip(self.keys[start:end], parts[start:end], strict=True)
            calls.append("json_build_object(" + ", ".join(f"'{key}', {sql}" for key, sql in pairs) + ")")
        if len(calls) == 1:
            return calls[0], params
        # More keys than one call takes: the objects' texts spliced in order ('{"a":1' ', ' '"b":2}').
        last = len(calls) - 1
        pieces = []
        for i, call in enumerate(calls):
            text = f"{call}::text"
            text = text if i == last else f"left({text}, -1)"
            pieces.append(text if i == 0 else f"substr({text}, 2)")
        text = " || ', ' || ".join(pieces)
        return f"({text})::json", params


def _json_array(rows: QuerySet) -> Func:
    """`rows` (a `.values(json=...)` subquery) as a JSON array in their order; `[]` when there are none."""
    return Func(ArraySubquery(rows), function="array_to_json", output_field=JSONField())


def _ordered(model: type[Model]) -> QuerySet:
    """The model's records in its `Meta.ordering`, then id: the order a prefetch of the relation reads."""
    ordering = [*model._meta.ordering]
    if "pk" not in ordering and "id" not in ordering:
        ordering.append("pk")
    return model._base_manager.order_by(*ordering)


@dataclass
class _Compiled:
    """A serializer compiled: its JSON expression over a row, and what the ORM path needs."""

    expression: JSONObject
    timestamps: list[Path] = field(default_factory=list)
    select: list[str] = field(default_factory=list)  # select_related paths
    prefetch: list[Prefetch | str] = field(default_factory=list)
    annotations: dict[str, Callable[[], Expression]] = field(default_factory=dict)


def _model_of(serializer: serializers.BaseSerializer, model: type[Model] | None) -> type[Model]:
    meta = getattr(serializer, "Meta", None)
    declared = getattr(meta, "model", None)
    if declared is None and model is None:
        raise ImproperlyConfigured(f"{type(serializer).__name__}: a projection needs the model it writes")
    return declared or model


def _compile(serializer: serializers.BaseSerializer, model: type[Model], where: str) -> _Compiled:
    """`serializer` (an instance, its fields built) over a row of `model`."""
    values: dict[str, Any] = {}
    compiled = _Compiled(expression=None)  # type: ignore[arg-type]
    for item in serializer.fields.values():
        if item.write_only:
            continue
        name = item.field_name
        label = f"{where}.{name}"
        source = item.source
        if isinstance(item, SQLField):
            values[name] = item.sql()
            compiled.annotations[name] = item.sql
            continue
        if isinstance(item, serializers.SerializerMethodField):
            raise ImproperlyConfigured(
                f"{label} is a SerializerMethodField: declare its SQL with api.projection.SQLField"
            )
        if "." in source or source == "*":
            raise ImproperlyConfigured(f"{label}: a projection writes model fields, not source={source!r}")
        try:
            model_field = model._meta.get_field(source)
        except Exception as exc:
            raise ImproperlyConfigured(f"{label}: {model.__name__} has no field {source!r} to project") from exc

        if isinstance(item, serializers.ListSerializer):
            values[name] = _nested_list(item.child, model_field, label, compiled, name, source)
        elif isinstance(item, serializers.ManyRelatedField):
            values[name] = _slug_array(item.child_relation, model_field, label)
            compiled.prefetch.append(source)
        elif isinstance(item, serializers.BaseSerializer) or hasattr(item, "summary_serializer"):
            summary = item if isinstance(item, serializers.BaseSerializer) else item.summary_serializer()
            values[name] = _related_object(summary, model_field, label, compiled, name, source)
        elif isinstance(item, serializers.SlugRelatedField):
            values[name] = _related_slug(item, model_field, label)
            compiled.select.append(source)
        elif isinstance(item, serializers.PrimaryKeyRelatedField) and model_field.many_to_one:
            values[name] = model_field.attname
        elif isinstance(item, serializers.RelatedField):
            raise ImproperlyConfigured(f"{label}: {type(item).__name__} cannot be projected")
        elif model_field.is_relation:
            raise ImproperlyConfigured(f"{label}: relation {source!r} needs a related field to be projected")
        elif isinstance(item, serializers.DecimalField):
            values[name] = _decimal(item, model_field, label)
        elif isinstance(item, serializers.DateTimeField):
            values[name] = source
            compiled.timestamps.append((name,))
        else:
            values[name] = source
    compiled.expression = JSONObject(values)
    return compiled


def _decimal(item: serializers.DecimalField, model_field: Any, label: str) -> Cast:
    if not isinstance(model_field, DecimalField) or model_field.decimal_places != item.decimal_places:
        raise ImproperlyConfigured(f"{label}: the serializer's decimal places must be its column's")
    if not getattr(item, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING):
        raise ImproperlyConfigured(f"{label}: decimals are projected as strings (COERCE_DECIMAL_TO_STRING)")
    # numeric(p, s) as text is DRF's decimal string: the column's scale is the field's places.
    return Cast(model_field.name, TextField())


def _related_object(
    summary: serializers.BaseSerializer, model_field: Any, label: str, parent: _Compiled, name: str, source: str
) -> Subquery:
    if not isinstance(model_field, ForeignKey | OneToOneField):
        raise ImproperlyConfigured(f"{label}: a nested record is projected over a foreign key")
    related = model_field.related_model
    inner = _compile(summary, related, label)
    _adopt(parent, inner, name, label)
    parent.select.append(source)
    parent.select.extend(f"{source}__{path}" for path in inner.select)
    rows = related._base_manager.filter(pk=OuterRef(model_field.attname)).order_by()
    return Subquery(rows.values(json=inner.expression), output_field=JSONField())


def _related_slug(item: serializers.SlugRelatedField, model_field: Any, label: str) -> Subquery:
    if not isinstance(model_field, ForeignKey | OneToOneField):
        raise ImproperlyConfigured(f"{label}: a slug is projected over a foreign key")
    rows = model_field.related_model._base_manager.filter(pk=OuterRef(model_field.attname)).order_by()
    return Subquery(rows.values(item.slug_field))


def _rows_of(model_field: Any, label: str) -> QuerySet:
    """The related records of the outer row over a many relation, in their order."""
    if isinstance(model_field, ForeignObjectRel):
        related, back = model_field.related_model, model_field.field.name
    elif isinstance(model_field, ManyToManyField):
        related, back = model_field.related_model, model_field.related_query_name()
    else:
        raise ImproperlyConfigured(f"{label}: a list is projected over a reverse or many-to-many relation")
    return _ordered(related).filter(**{back: OuterRef("pk")})


def _slug_array(child: serializers.RelatedField, model_field: Any, label: str) -> ArraySubquery:
    slug = getattr(child, "slug_field", None)
    if slug is None:
        raise ImproperlyConfigured(f"{label}: a many relation is projected as its slugs (SlugRelatedField)")
    return ArraySubquery(_rows_of(model_field, label).values(slug))


def _nested_list(
    child: serializers.BaseSerializer, model_field: Any, label: str, parent: _Compiled, name: str, source: str
) -> Func:
    rows = _rows_of(model_field, label)
    inner = _compile(child, _model_of(child, rows.model), f"{label}[]")
    _adopt(parent, inner, name, f"{label}[]", each=True)
    parent.prefetch.append(
        Prefetch(
            source,
            queryset=_ordered(rows.model)
            .select_related(*inner.select)
            .prefetch_related(*inner.prefetch)
            .annotate(**_as_text(inner.annotations)),
        )
    )
    return _json_array(rows.values(json=inner.expression))


def _as_text(annotations: dict[str, Callable[[], Expression]]) -> dict[str, Cast]:
    return {annotation_name(name): Cast(sql(), TextField()) for name, sql in annotations.items()}


def _adopt(parent: _Compiled, inner: _Compiled, name: str, label: str, *, each: bool = False) -> None:
    """Take a nested record's (field `name`'s) timestamps into the parent's paths; its SQL fields cannot be
    annotations of the parent's rows on the ORM path."""
    prefix: Path = (name, None) if each else (name,)
    parent.timestamps.extend(prefix + path for path in inner.timestamps)
    if inner.annotations and not each:
        raise ImproperlyConfigured(f"{label}: an SQLField in a nested record is not supported")
    if inner.prefetch and not each:
        raise ImproperlyConfigured(f"{label}: a many relation inside a nested record is not supported")


@functools.cache
def _compiled_of(serializer_class: type[serializers.BaseSerializer]) -> _Compiled:
    return _compile(serializer_class(), _model_of(serializer_class, None), serializer_class.__name__)


def related_json(
    serializer_class: type[serializers.BaseSerializer], key: str, *, within: QuerySet | None = None
) -> Subquery:
    """For an `SQLField`: the JSON `serializer_class` writes of the record whose id is the outer row's `key`, or
    null. With `within` (a queryset correlated with the outer row), `key` is a column of the first of its rows."""
    compiled = _compiled_of(serializer_class)
    if compiled.timestamps:
        raise ImproperlyConfigured(f"{serializer_class.__name__} writes timestamps: not in an SQLField")
    model = _model_of(serializer_class, None)
    record = model._base_manager.filter(pk=OuterRef(key)).order_by().values(json=compiled.expression)
    found = Subquery(record, output_field=JSONField())
    if within is None:
        return found
    return Subquery(within.values(json=found)[:1], output_field=JSONField())


def rows_json(serializer_class: type[serializers.BaseSerializer], rows: QuerySet) -> Func:
    """For an `SQLField`: `rows` (correlated with the outer row, in their order) as a JSON array of what
    `serializer_class` writes of each."""
    compiled = _compiled_of(serializer_class)
    if compiled.timestamps:
        raise ImproperlyConfigured(f"{serializer_class.__name__} writes timestamps: not in an SQLField")
    return _json_array(rows.values(json=compiled.expression))


class Projection:
    """`serializer_class` compiled to SQL (see the module docstring): built once per process per class."""

    def __init__(self, serializer_class: type[serializers.BaseSerializer]) -> None:
        self.serializer_class = serializer_class
        self.model = _model_of(serializer_class, None)
        self._compiled = _compiled_of(serializer_class)
        self.timestamps = tuple(self._compiled.timestamps)

    @functools.cached_property
    def sql(self) -> RawSQL:
        """The JSON of a row as text, compiled to SQL once: for a query whose base table is the model's own
        table, unaliased (the outer row's columns are read as "<table>"."<column>")."""
        query = self.model._base_manager.annotate(projected=Cast(self._compiled.expression, TextField())).query
        resolved = query.annotations["projected"]
        sql, params = query.get_compiler(DEFAULT_DB_ALIAS).compile(resolved)
        return RawSQL(sql, params, output_field=TextField())  # noqa: S611 - Django's SQL; values stay parameters

    def annotate(self, queryset: QuerySet) -> QuerySet:
        """`queryset` with each record's JSON text as `projected`."""
        return queryset.annotate(projected=self.sql)

    def queryset(self, queryset: QuerySet | None = None) -> QuerySet:
        """The records with what the serializer reads joined or prefetched (the ORM path)."""
        queryset = self.model._default_manager.all() if queryset is None else queryset
        compiled = self._compiled
        return (
            queryset.select_related(*dict.fromkeys(compiled.select))
            .prefetch_related(*compiled.prefetch)
            .annotate(**_as_text(compiled.annotations))
        )

    def load(self, texts: Iterable[str]) -> list[dict[str, Any]]:
        """The JSON of `annotate`'s records, parsed, with timestamps as the serializer writes them."""
        records = [orjson.loads(text) for text in texts]
        if self.timestamps:
            write = timestamp_writer()
            written: dict[str, str] = {}  # a record and its parts were often written in one go
            for record in records:
                for path in self.timestamps:
                    _rewrite(record, path, write, written)
        return records


def _rewrite(node: Any, path: Path, write: Callable[[dt.datetime], str], written: dict[str, str]) -> None:
    key, rest = path[0], path[1:]
    if key is None:
        for item in node:
            _rewrite(item, rest, write, written)
        return
    if node is None:
        return
    if rest:
        _rewrite(node[key], rest, write, written)
        return
    value = node[key]
    if value is not None:
        text = written.get(value)
        if text is None:
            text = written[value] = write(dt.datetime.fromisoformat(value))
        node[key] = text


_PROJECTIONS: dict[type, Projection] = {}


def projection_of(serializer_class: type[serializers.BaseSerializer]) -> Projection:
    """The one projection of `serializer_class` in this process."""
    found = _PROJECTIONS.get(serializer_class)
    if found is None:
        found = _PROJECTIONS[serializer_class] = Projection(serializer_class)
    return found


def registered() -> list[Projection]:
    """Every projection built so far (after the URLs load: every viewset's)."""
    return list(_PROJECTIONS.values())


def timestamp_writer() -> Callable[[dt.datetime], str]:
    """How DRF's `DateTimeField` writes a timestamp in this request (its format, the current time zone)."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    return _timestamp_writer(zone, api_settings.DATETIME_FORMAT)


@functools.cache
def _timestamp_writer(zone: dt.tzinfo | None, output_format: str | None) -> Callable[[dt.datetime], str]:
    field_ = serializers.DateTimeField(default_timezone=zone)
    if output_format is None or output_format.lower() != ISO_8601 or zone is None:
        return field_.to_representation

    def write(moment: dt.datetime) -> str:
        # DRF's field for an aware moment in ISO 8601, without its per-value settings lookups.
        try:
            text = moment.astimezone(zone).isoformat()
        except OverflowError:
            return field_.to_representation(moment)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write
