# The search documents' trigram index (core.search.document_search): built without locking the table against
# writes, so that a deploy does not stop edits while it is built (about a minute at 300,000 projects).

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations
from django.db.models.functions import Lower


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("projects", "0016_funds_date_precision"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="searchdocument",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(Lower("document"), name="gin_trgm_ops"),
                name="project_search_trgm_idx",
            ),
        ),
    ]
