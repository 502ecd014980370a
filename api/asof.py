"""`?as_of=`: a read answered as the service would have answered it at a past moment (issue 22, item 4).

The database side is core.asof: a schema of views, one per table with a change history, that rebuild each
row as it was at the moment held in a session setting. Here a read sets that moment and puts the schema
first on its `search_path`, inside a transaction that only reads and is rolled back: the view runs its
usual statements and they read the past. Nothing else changes: the same filters, projections, pages and
summaries; the answer cache is not used (its answers are of now).

`as_of` is a date (`2025-03-31`: the end of that day, in the service's time zone) or a date and time
(`2025-03-31T12:00:00+08:00`; without an offset, in the service's time zone). A moment in the future is
refused: what the service knows now is the newest answer it has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from api.history import event_models

PARAMETER = "as_of"
# The schema of the past views (core.asof) and the setting that holds the moment they show.
SCHEMA = "tracker_as_of"
SETTING = "tracker.as_of"
MOMENT_SQL = f"current_setting('{SETTING}')::timestamptz"

INVALID = _("Enter a date (YYYY-MM-DD) or a date and time (ISO 8601), not in the future.")
# Set while a request reads the past (reading_as_of): what serves answers of now (the answer cache) stays out.
_READING_PAST: ContextVar[bool] = ContextVar("reading_past", default=False)

NOT_OFFERED = _("This answer cannot be given as of a past moment: only reads of records with a history can.")


def parse_as_of(value: str) -> dt.datetime:
    """The moment `value` names (the end of the day for a date), or ValidationError."""
    try:
        moment = _moment(value.strip())
    except (ValueError, OverflowError):  # not a date, or one beyond what a datetime holds in UTC
        moment = None
    if moment is None:
        raise ValidationError({PARAMETER: [INVALID]})
    return moment


def _moment(value: str) -> dt.datetime | None:
    day = parse_date(value)
    if day is not None:
        # A date names its whole day: today is answered (as now), tomorrow is ahead.
        return None if day > timezone.localdate() else timezone.make_aware(dt.datetime.combine(day, dt.time.max))
    moment = parse_datetime(value)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    # Compared in UTC, which raises OverflowError for a moment too close to year 1 or 9999 to convert.
    return None if moment.astimezone(dt.UTC) > timezone.now() else moment


def has_history(model: type[models.Model]) -> bool:
    """Whether `model`'s rows have a change history (row snapshots), from which the past is rebuilt."""
    return bool(event_models(model))


@contextmanager
def reading_as_of(moment: dt.datetime) -> Iterator[None]:
    """Every connection reads the past views at `moment` until the block ends, in a transaction rolled back."""
    with ExitStack() as stack:
        for alias in settings.DATABASES:
            stack.enter_context(transaction.atomic(using=alias))
            with connections[alias].cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(%s, %s, true), set_config('search_path', %s, true)",
                    [SETTING, moment.isoformat(), f"{SCHEMA}, public"],
                )
            # Rolled back when the block ends: nothing here may write, and an error inside must not commit.
            stack.callback(transaction.set_rollback, True, using=alias)
        stack.callback(_READING_PAST.reset, _READING_PAST.set(True))
        yield


def reads_the_past() -> bool:
    """Whether this request reads as of a past moment (inside `reading_as_of`)."""
    return _READING_PAST.get()


class AsOfMixin:
    """For a view whose reads can be answered as of a past moment: `as_of` on the reads `offers_as_of` names.

    The past begins after the request's throttles are counted (their counts are of now and must commit) and
    ends when its response is final, whatever happened in between.
    """

    # The actions of a viewset that offer it; None: every read of the view.
    as_of_actions: tuple[str, ...] | None = None
    # The moment this request reads, when it asks for one.
    as_of_moment: dt.datetime | None = None

    def today(self) -> dt.date:
        """The day an answer counts days up to: the moment's, or today."""
        return timezone.localdate(self.as_of_moment) if self.as_of_moment else timezone.localdate()

    def offers_as_of(self) -> bool:
        """Whether this request may carry `as_of`: a read of an action that offers it."""
        return self.request.method in ("GET", "HEAD") and self.as_of_documented()

    def as_of_documented(self) -> bool:
        """Whether this view's action offers `as_of` (for the OpenAPI document, which has no real request)."""
        return self.as_of_actions is None or getattr(self, "action", None) in self.as_of_actions

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if PARAMETER not in request.query_params:
            return
        if not self.offers_as_of():
            raise ValidationError({PARAMETER: [NOT_OFFERED]})
        moment = parse_as_of(request.query_params[PARAMETER])
        self.as_of_moment = moment
        self._as_of = ExitStack()
        self._as_of.enter_context(reading_as_of(moment))

    def finalize_response(self, request, response, *args, **kwargs):
        stack = getattr(self, "_as_of", None)
        if stack is not None:
            self._as_of = None
            stack.close()
        return super().finalize_response(request, response, *args, **kwargs)
