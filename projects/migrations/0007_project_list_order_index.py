from django.db import migrations


class Migration(migrations.Migration):
    """An index in the lists' default order (name, id).

    A page of projects is `ORDER BY name, id LIMIT n` (behind `id IN (...)`, see api/pagination.py):
    with this index it reads n entries, or skips index entries for a deep page, instead of sorting the
    whole table. Plain SQL, outside the model state, while projects/models.py is being edited by others;
    it can move to Meta.indexes later (SeparateDatabaseAndState, same name).
    """

    dependencies = [("projects", "0006_history_clock_timestamp")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS projects_project_name_id_idx ON projects_project (name, id)",
            "DROP INDEX IF EXISTS projects_project_name_id_idx",
        ),
    ]
