from django.apps import AppConfig, apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from pghistory.apps import PGHistoryConfig


def install_version_triggers(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Every table of a TimeStampedModel gets the trigger that raises `version` on each UPDATE."""
    from api.conditional import install_version_triggers as install
    from core.models import TimeStampedModel

    tables = [
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TimeStampedModel) and model._meta.managed and not model._meta.proxy
    ]
    install(sorted(tables), using=using)


class CoreConfig(AppConfig):
    """Cross-app plumbing with no tables of its own: seed loading and management commands."""

    name = "core"
    verbose_name = "Core"
    default = True  # this module also holds ChangeHistoryConfig: "core" in INSTALLED_APPS means this one

    def ready(self) -> None:
        # Registers the OpenAPI extension of the API's related-record fields.
        import api.schema  # noqa: F401

        # After every migrate (a new table may have appeared), idempotently.
        post_migrate.connect(install_version_triggers, sender=self)
        from core.asof import install_as_of_views

        # The past views (`?as_of=`) follow the models' tables as they are after the migration.
        post_migrate.connect(install_as_of_views, sender=self)


class ChangeHistoryConfig(PGHistoryConfig):
    """django-pghistory under a name the admin can translate ("Pghistory" otherwise, in every language)."""

    verbose_name = _("Change history")

    def ready(self) -> None:
        super().ready()
        from core.events_admin import name_events

        name_events()
