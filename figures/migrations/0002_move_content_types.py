# The content types of Figure and FigureEvent follow the models from the projects app to this one. Left alone,
# post_migrate would create new ones (figures.figure, figures.figureevent) with new permissions, and the old ones
# would keep the grants: the role groups, any user's own permissions, the admin's log of changes. Renamed, they
# keep their ids, so everything that points to them points to the moved models (the permission codenames, such as
# add_figure, do not name the app). On a fresh database there is nothing to rename yet: post_migrate creates them.


from django.db import migrations

MODELS = ('figure', 'figureevent')


def move_content_types(apps, schema_editor, source, target):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        old = content_types.filter(app_label=source, model=model).first()
        if old is None:
            continue
        # Only a migrate that stopped after 0001 can have made the target's already (its post_migrate did): it
        # holds nothing but the permissions it was created with. The old one, with the grants, takes its place.
        content_types.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=['app_label'])


def forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, source='projects', target='figures')


def backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, source='figures', target='projects')


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('figures', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
