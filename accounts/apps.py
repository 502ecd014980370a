from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who may do what: roles, the regions each editor answers for, and API tokens."""

    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from accounts.roles import ensure_role_groups

        # Permissions only exist once every app has migrated (or been flushed), so the groups are
        # brought in step after the last app's post_migrate.
        post_migrate.connect(ensure_role_groups)
