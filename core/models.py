"""Abstract bases shared by the apps' models; core itself has no tables."""

import hashlib

import pghistory
import pgtrigger
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from pghistory.trigger import Event as HistoryTrigger

from core.fields import LtreeField


def local_name(record) -> str:
    """A record's Chinese name (`name_zh`) while the page speaks Chinese and one is recorded, else `name`."""
    if record.name_zh and (translation.get_language() or "").startswith("zh"):
        return record.name_zh
    return record.name


class TimeStampedModel(models.Model):
    """A row that knows when it was created and last changed, and how often it changed."""

    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(
        verbose_name=_("version"),
        default=1,
        editable=False,
        help_text=_("Raised by the database on every change, bulk ones included; the record's ETag."),
    )

    class Meta:
        abstract = True


class Located(models.Model):
    """A record placed in a region, through the fields named by `located_by`, in order: the first that is set
    places it, in the region it names (a region field) or where the record it names is placed (a located
    record). The region scope (accounts.scope) reads this and nothing else of a model."""

    located_by: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def location_path(self) -> str | None:
        """The path of the region this record is placed in, as its fields stand now; None when it has none."""
        for name in self.located_by:
            if getattr(self, f"{name}_id", None) is None:
                continue
            target = getattr(self, name)
            if isinstance(target, Located):
                return target.location_path()
            return target.path
        return None


class TreeModel(models.Model):
    """A row in a hierarchy whose `path` (ids from the root) the database maintains.

    Subclasses declare `parent` and add the path triggers in their migration (as regions/migrations/0002 does).
    """

    path = LtreeField(
        verbose_name=_("path"),
        default="",
        blank=True,
        editable=False,
        help_text=_("Ids from the root to this record, maintained by the database."),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # The trigger wrote the path; reflect it so subtree() works on the saved instance.
        self.refresh_path()

    def refresh_path(self) -> None:
        self.path = type(self).objects.values_list("path", flat=True).get(pk=self.pk)

    def subtree(self):
        """This record and everything below it: one indexed query."""
        return type(self).objects.filter(path__descendant_of=self.path)

    def ancestors(self):
        """Everything above this record, root first: one indexed query."""
        return type(self).objects.filter(path__ancestor_of=self.path).exclude(pk=self.pk).order_by("path")


def tracked(model=None, /, *, moved_from: str | None = None):
    """Keep the change history of `model` in the database: a snapshot per insert, update and
    delete, written by triggers (so queryset updates and bulk writes are caught too), with the
    acting user and URL that the history middleware records.

    A model's `derived_fields` (columns the database works out from other rows, such as a project's
    filter keys) are left out of its history: rewriting them is not a change anybody made.

    `@tracked(moved_from="projects")` is for a model that another app first defined (its table keeps
    that app's name too): its history stays where it was, so that moving the model changes nothing in
    the database. The event table keeps its name (`projects_figureevent`), and the triggers keep the
    Postgres ids pgtrigger derived from the first app's label.
    """
    if model is None:
        return lambda model: tracked(model, moved_from=moved_from)
    insert, update, delete = _row_trackers(moved_from)
    options = {}
    if moved_from:
        options["meta"] = {"db_table": f"{moved_from}_{model.__name__.lower()}event"}
    derived = list(getattr(model, "derived_fields", ()))
    if not derived:
        return pghistory.track(insert(), update(), delete(), **options)(model)
    changed = update(condition=pghistory.AnyChange(exclude=derived))
    return pghistory.track(insert(), changed, delete(), exclude=derived, **options)(model)


class _FirstAppTrigger(HistoryTrigger):
    """A history trigger named in Postgres as it was in the app that first defined the model.

    pgtrigger names a trigger (and its function) `pgtrigger_<name>_<hash>`, the hash being that of
    "<app label>.<Model>:<name>"; this one hashes the first app's label instead of the model's own.
    Everything else (its URI, `pgtrigger.ignore("figures.Figure:insert_insert")`) follows the model.
    """

    def __init__(self, *, first_app_label: str, **kwargs):
        self.first_app_label = first_app_label
        super().__init__(**kwargs)

    def get_pgid(self, model: type[models.Model]) -> str:
        uri = f"{self.first_app_label}.{model._meta.object_name}:{self.name}"
        return f"pgtrigger_{self.name}_{hashlib.sha1(uri.encode(), usedforsecurity=False).hexdigest()[:5]}".lower()


class _FirstAppTracker:
    """Mixin for pghistory's row trackers whose trigger is a `_FirstAppTrigger` (as pghistory's own
    `RowEvent.add_event_trigger` registers its `Event` trigger)."""

    first_app_label: str

    def add_event_trigger(self, event_model) -> None:
        trigger = _FirstAppTrigger(
            first_app_label=self.first_app_label,
            event_model=event_model,
            label=self.label,
            name=self.trigger_name,
            row=self.row,
            operation=self.operation,
            condition=self.condition,
            level=self.level,
        )
        pgtrigger.register(trigger)(event_model.pgh_tracked_model)


def _row_trackers(moved_from: str | None) -> tuple[type[pghistory.RowEvent], ...]:
    """pghistory's insert, update and delete trackers; for a moved model, ones that keep the trigger ids."""
    trackers = (pghistory.InsertEvent, pghistory.UpdateEvent, pghistory.DeleteEvent)
    if not moved_from:
        return trackers
    return tuple(
        type(tracker.__name__, (_FirstAppTracker, tracker), {"first_app_label": moved_from}) for tracker in trackers
    )
