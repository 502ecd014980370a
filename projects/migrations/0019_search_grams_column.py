# The search documents' grams as a stored column (core.search.document_grams_field), indexed instead of the
# expression: a plan that walks a list's order then reads each document's grams instead of computing them. Adding
# the column rewrites the table and computes every document's grams once, under a lock that holds writes to the
# documents (and so to projects) back: about a minute at 300,000 projects, like the index it replaces.

import core.search
import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0018_national_code_and_statistics"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="searchdocument",
            name="project_search_grams_idx",
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="grams",
            field=models.GeneratedField(
                db_persist=True,
                expression=core.search.SearchGrams(models.F("document")),
                output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None),
                verbose_name="search grams",
            ),
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=django.contrib.postgres.indexes.GinIndex(fields=["grams"], name="project_search_grams_idx"),
        ),
    ]
