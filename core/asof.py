"""What the service knew at a past moment, rebuilt from the change history (issue 22, `as_of`).

Every table with a change history (`core.models.tracked`: a snapshot per insert, update and delete, written by
triggers) gets a view of the same name in the schema `api.asof.SCHEMA`. The view holds each row as its last
snapshot at or before the moment in the setting `api.asof.SETTING` left it, without the rows whose last
snapshot is their deletion, and without rows created later. A read that puts that schema first on its
`search_path` (api.asof.reading_as_of) runs the very statements it runs today, projections and summaries
included, against the past: the views stand in for the tables, and tables without history (the links of a
project to its industries, the search documents, the caches) are read as they are now.

What a view cannot know, it takes from now, and says so here:
- a row never changed since the history began (or loaded with triggers off) has no snapshot: it counts with
  its current values from its `created_at` on (from always, for a table without one);
- a row created before the history began and changed since has snapshots of its changes only (a snapshot holds
  the values after the change): before its first one it is absent, its values then being unknown;
- the columns the database derives (`derived_fields`) are not in the history: a model may say how to work
  one out again (`as_of_derived`, e.g. a project's region codes from its region then); otherwise its current
  value is read.

The views are made after every `migrate` (core.apps), from the models as they are: a new field needs no step.
"""

from __future__ import annotations

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, models

from api.asof import MOMENT_SQL, SCHEMA
from core.history import event_models


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def view_sql(model: type[models.Model], event_model: type[models.Model]) -> str:
    """The SELECT of `model`'s table as of the moment, from `event_model`'s snapshots."""
    table, events = _quoted(model._meta.db_table), _quoted(event_model._meta.db_table)
    pk = model._meta.pk.column
    in_history = {field.column for field in event_model._meta.concrete_fields}
    derived = getattr(model, "as_of_derived", {})
    columns = []
    for field in model._meta.concrete_fields:
        column = _quoted(field.column)
        if field.column == pk:
            # The snapshot's object id, not its copy of the key: a filter on the key reaches into DISTINCT ON.
            columns.append(f"e.pgh_obj_id AS {column}")
        elif field.column in derived:
            columns.append(f"{derived[field.column].format(row='e')} AS {column}")
        elif field.column in in_history:
            columns.append(f"e.{column}")
        else:
            columns.append(f"(SELECT cur.{column} FROM public.{table} cur WHERE cur.{_quoted(pk)} = e.pgh_obj_id)")  # noqa: S608
    current = ", ".join(f"t.{_quoted(field.column)}" for field in model._meta.concrete_fields)
    born = (
        f" AND t.{_quoted('created_at')} <= {MOMENT_SQL}"
        if any(field.column == "created_at" for field in model._meta.concrete_fields)
        else ""
    )
    # Only constant names of the models are interpolated; the moment is read from the session's setting.
    return (
        f"SELECT {', '.join(columns)} FROM ("  # noqa: S608
        f"SELECT DISTINCT ON (pgh_obj_id) * FROM public.{events} WHERE pgh_created_at <= {MOMENT_SQL} "
        f"ORDER BY pgh_obj_id, pgh_created_at DESC, pgh_id DESC"
        f") e WHERE e.pgh_label <> 'delete' "
        f"UNION ALL SELECT {current} FROM public.{table} t "
        f"WHERE NOT EXISTS (SELECT 1 FROM public.{events} x WHERE x.pgh_obj_id = t.{_quoted(pk)}){born}"
    )


def tracked_tables() -> list[tuple[type[models.Model], type[models.Model]]]:
    """Each model with a change history and its (row-level) event model."""
    pairs = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        found = event_models(model)
        if found:
            pairs.append((model, found[0]))
    return sorted(pairs, key=lambda pair: pair[0]._meta.db_table)


def install_as_of_views(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """(Re)make the schema of past views, one per table with history, as the models are now. Idempotent."""
    statements = [f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE", f"CREATE SCHEMA {SCHEMA}"]
    for model, event_model in tracked_tables():
        statements.append(f"CREATE VIEW {SCHEMA}.{_quoted(model._meta.db_table)} AS {view_sql(model, event_model)}")
    with connections[using].cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
