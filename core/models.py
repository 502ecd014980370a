"""Abstract bases shared by the apps' models; core itself has no tables."""

import pghistory
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

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


def tracked(model):
    """Keep the change history of `model` in the database: a snapshot per insert, update and
    delete, written by triggers (so queryset updates and bulk writes are caught too), with the
    acting user and URL that the history middleware records.

    A model's `derived_fields` (columns the database works out from other rows, such as a project's
    filter keys) are left out of its history: rewriting them is not a change anybody made.
    """
    derived = list(getattr(model, "derived_fields", ()))
    if not derived:
        return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())(model)
    update = pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude=derived))
    return pghistory.track(pghistory.InsertEvent(), update, pghistory.DeleteEvent(), exclude=derived)(model)
