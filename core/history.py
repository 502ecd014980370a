"""A record's change history as a clerk reads it: who, when, which record, and each field changed by
its label, before and after, in words (choice labels, names of related records, money in yuan and
亿元, dates as they are typed).

The events are django-pghistory's (`Events`: a snapshot per insert, update and delete, with the
diff against the record's previous event), of the record and of the rows that belong to it (a
project's participants, milestones, funds in place, ...). Bookkeeping is left out: pghistory's
`pgh_*` columns, ids, versions, timestamps, the columns the database derives (`derived_fields`) and
a row's link to the record whose history it is. An update that changed nothing else is not shown.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pghistory.models import Events

from api.history import event_models, exact_json, with_exact_values
from core.choices import DEFAULT_CURRENCY
from core.dates import format_partial_date, precision_field_name
from core.forms import is_money_field, money_with_yi
from core.models import local_name

EMPTY = "\u2014"
ACTIONS = {
    "insert": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
}
NAME_LENGTH = 80


@dataclass(frozen=True)
class Part:
    """Rows of `model` that belong to the record through their foreign key `fk_name`, named in the
    history by the values of `title_fields`."""

    model: type[models.Model]
    fk_name: str
    title_fields: Sequence[str]


@dataclass
class FieldChange:
    label: str
    before: str | None  # None: the record was created (only `after` is shown)
    after: str | None  # None: the record was deleted (only `before` is shown)


@dataclass
class HistoryEntry:
    at: datetime.datetime
    user: str
    action: str  # insert, update or delete
    action_label: str
    kind: str  # the record's kind, as the admin names its model: "Milestone"
    name: str  # which one: "Signed, 2024-07"
    is_record: bool  # the record itself, not a row that belongs to it
    changes: list[FieldChange] = field(default_factory=list)


def history_events(record: models.Model, parts: Iterable[Part]) -> QuerySet:
    """The events of `record` and of its parts' rows, newest first (decimals exact, see api.history)."""
    parts = list(parts)
    across = [*event_models(type(record)), *(em for part in parts for em in event_models(part.model))]
    label = type(record)._meta.label
    events = Events.objects.references(record).across(*across)
    # `references` follows every foreign key to the record's model: a project's events would include those
    # of the projects in it (their programme). Of the record's own model, only the record itself.
    events = events.exclude(Q(pgh_obj_model=label) & ~Q(pgh_obj_id=str(record.pk)))
    return with_exact_values(events.order_by("-pgh_created_at", "-pgh_id"))


class _Reader:
    """Turns the events of one page into entries, looking related records up once for the page."""

    def __init__(self, record: models.Model, parts: Sequence[Part], title_fields: Sequence[str]):
        self.record = record
        self.parts = {part.model._meta.label: part for part in parts}
        self.title_fields = title_fields
        self.models = {type(record)._meta.label: type(record)} | {
            label: part.model for label, part in self.parts.items()
        }
        self.names: dict[tuple[type[models.Model], str], str] = {}

    def shown_fields(self, model: type[models.Model]) -> list[models.Field]:
        hidden = set(getattr(model, "derived_fields", ()))
        part = self.parts.get(model._meta.label)
        if part is not None:
            hidden.add(part.fk_name)
        # A date's precision is shown with the date, as it is typed: "2024-07 → 2024-Q3".
        hidden.update(filter(None, (precision_field_name(f) for f in model._meta.concrete_fields)))
        return [
            model_field
            for model_field in model._meta.concrete_fields
            if model_field.editable and not model_field.primary_key and model_field.name not in hidden
        ]

    @staticmethod
    def changed(model_field: models.Field, diff: dict) -> bool:
        precision = precision_field_name(model_field)
        return model_field.column in diff or (precision is not None and precision in diff)

    def entries(self, events: Sequence[Events]) -> list[HistoryEntry]:
        prepared = []
        for event in events:
            model = self.models.get(event.pgh_obj_model)
            if model is None:
                continue
            snapshot = exact_json(getattr(event, "exact_snapshot", None), event.pgh_data) or {}
            diff = exact_json(getattr(event, "exact_changes", None), event.pgh_diff) or {}
            prepared.append((event, model, snapshot, diff))
        self._look_up_related(prepared)
        users = self._users(event for event, *_rest in prepared)
        entries = []
        for event, model, snapshot, diff in prepared:
            entry = self._entry(event, model, snapshot, diff, users)
            if entry is not None:
                entries.append(entry)
        return entries

    def _entry(self, event, model, snapshot: dict, diff: dict, users: dict) -> HistoryEntry | None:
        action = str(event.pgh_label)
        fields = self.shown_fields(model)
        changes = []
        if action == "update":
            before = {**snapshot, **{column: values[0] for column, values in diff.items()}}
            for model_field in fields:
                if self.changed(model_field, diff):
                    changes.append(
                        FieldChange(
                            label=capfirst(model_field.verbose_name),
                            before=self.value(model_field, before),
                            after=self.value(model_field, snapshot),
                        )
                    )
            if not changes:
                return None  # only bookkeeping changed (a version, a timestamp, a derived column)
        else:
            for model_field in fields:
                shown = self.value(model_field, snapshot)
                if shown != EMPTY:
                    changes.append(
                        FieldChange(
                            label=capfirst(model_field.verbose_name),
                            before=shown if action == "delete" else None,
                            after=shown if action != "delete" else None,
                        )
                    )
        is_record = model is type(self.record)
        user_id = (event.pgh_context or {}).get("user")
        return HistoryEntry(
            at=event.pgh_created_at,
            user=users.get(user_id, EMPTY),
            action=action,
            action_label=str(ACTIONS.get(action, action)),
            kind=capfirst(model._meta.verbose_name),
            name=self._name(model, snapshot, is_record),
            is_record=is_record,
            changes=changes,
        )

    def _name(self, model, snapshot: dict, is_record: bool) -> str:
        columns = {model_field.column for model_field in model._meta.concrete_fields}
        if "name" in columns:
            named = SimpleNamespace(name=snapshot.get("name") or "", name_zh=snapshot.get("name_zh") or "")
            return Truncator(local_name(named)).chars(NAME_LENGTH)
        title_fields = self.title_fields if is_record else self.parts[model._meta.label].title_fields
        values = [self.value(model._meta.get_field(name), snapshot) for name in title_fields]
        return Truncator(", ".join(value for value in values if value != EMPTY) or EMPTY).chars(NAME_LENGTH)

    def value(self, model_field: models.Field, snapshot: dict) -> str:
        """`model_field`'s value in `snapshot` as a clerk reads it."""
        raw = snapshot.get(model_field.column)
        if raw is None or raw == "" or raw == []:
            return EMPTY
        if model_field.is_relation:
            return self.names.get((model_field.related_model, str(raw)), _("no longer exists (%(id)s)") % {"id": raw})
        if model_field.flatchoices:
            return str(dict(model_field.flatchoices).get(raw, raw))
        if isinstance(model_field, models.BooleanField):
            return _("yes") if raw else _("no")
        if is_money_field(model_field):
            try:
                return money_with_yi(Decimal(str(raw)), snapshot.get("currency") or DEFAULT_CURRENCY)
            except InvalidOperation:
                return str(raw)
        if isinstance(model_field, models.DateField) and not isinstance(model_field, models.DateTimeField):
            date = parse_date(str(raw))
            precision = precision_field_name(model_field)
            return format_partial_date(date, snapshot.get(precision) if precision else None) if date else str(raw)
        if isinstance(raw, list):
            return ", ".join(str(item) for item in raw)
        return str(raw)

    def _look_up_related(self, prepared) -> None:
        """The names of the related records the page's events mention, one query per related model."""
        wanted: dict[type[models.Model], set[str]] = defaultdict(set)
        for _event, model, snapshot, diff in prepared:
            for model_field in self.shown_fields(model):
                if not model_field.is_relation:
                    continue
                for value in (snapshot.get(model_field.column), *(diff.get(model_field.column) or ())):
                    if value is not None:
                        wanted[model_field.related_model].add(str(value))
        for related, ids in wanted.items():
            for pk, obj in related._base_manager.in_bulk(list(ids)).items():
                self.names[(related, str(pk))] = Truncator(_display_name(obj)).chars(NAME_LENGTH)

    def _users(self, events: Iterable[Events]) -> dict[Any, str]:
        ids = {(event.pgh_context or {}).get("user") for event in events} - {None}
        users = get_user_model()._base_manager.in_bulk(list(ids))
        return {pk: _display_name(user) for pk, user in users.items()}


def _display_name(obj: models.Model) -> str:
    if isinstance(obj, get_user_model()):
        return obj.get_full_name() or obj.get_username()
    return str(obj)


def readable_history(
    record: models.Model, parts: Sequence[Part], events: Sequence[Events], title_fields: Sequence[str] = ()
) -> list[HistoryEntry]:
    """The entries of `events` (some of `history_events(record, parts)`, such as one page of them)."""
    return _Reader(record, parts, title_fields).entries(events)
