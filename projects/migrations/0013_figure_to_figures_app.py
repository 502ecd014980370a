# Figure and its history model move to the figures app (figures/migrations/0001_initial, which depends on this one):
# they leave this app's state, and only its state. Their tables (projects_figure, projects_figureevent), sequences,
# constraints, indexes and triggers stay in the database exactly as they are: nothing here runs SQL.
#
# This migration comes first and the figures app's after it, as the app dependency runs: a figure refers to a
# project, and no model of this app refers to a figure (FigureEvent, the only one that did, moves with it). Taking
# projects back to 0012 therefore takes the figures app back to zero too, content types included.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0012_project_filter_keys'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # The event model first: its pgh_obj refers to the figure.
                migrations.DeleteModel(name='FigureEvent'),
                migrations.DeleteModel(name='Figure'),
            ],
            database_operations=[],
        ),
    ]
