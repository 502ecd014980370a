from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who may do what: roles, the regions each editor answers for, and API tokens."""

    name = "accounts"
    verbose_name = _("Accounts and roles")
    default = True  # this module also holds the configs of knox and axes: "accounts" means this one

    def ready(self) -> None:
        from accounts.roles import ensure_role_groups

        # Permissions only exist once every app has migrated (or been flushed), so the groups are
        # brought in step after the last app's post_migrate.
        post_migrate.connect(ensure_role_groups)


class LoginAttemptsConfig(AxesConfig):
    """django-axes (failed logins and lockouts) under a name the admin can translate ("Axes" otherwise, in
    every language). Its models' and fields' names are marked for translation by axes, which has no Chinese
    catalogue: core.third_party_messages lists them for ours."""

    verbose_name = _("Login attempts")


class ApiTokensConfig(AppConfig):
    """django-rest-knox's API tokens under a name the admin can translate ("Knox" otherwise)."""

    name = "knox"
    verbose_name = _("API tokens")

    def ready(self) -> None:
        from knox.models import AuthToken

        # knox leaves its model's name unmarked ("auth token" in every language). Only the runtime name
        # changes: Meta's original options, which migrations compare, stay knox's.
        AuthToken._meta.verbose_name = _("auth token")
        AuthToken._meta.verbose_name_plural = _("auth tokens")
