"""The four roles, as Django groups whose permissions are kept in step after every migrate.

- anonymous: reads published data (unless `API_ANONYMOUS_READS` is off);
- viewer: reads everything, writes nothing;
- regional editor: writes records located in the subtrees of their assigned regions;
- bureau administrator: everything (as is a superuser).
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, Group, Permission


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    VIEWER = "viewer"
    REGIONAL_EDITOR = "regional_editor"
    BUREAU_ADMIN = "bureau_admin"


GROUP_NAMES = {
    Role.VIEWER: "Viewers",
    Role.REGIONAL_EDITOR: "Regional editors",
    Role.BUREAU_ADMIN: "Bureau administrators",
}

# pghistory: reading change history (its Events admin) is a view permission like any other.
TRACKED_APPS = (
    "regions",
    "industries",
    "companies",
    "projects",
    "figures",
    "indicators",
    "sources",
    "commitments",
    "accounts",
    "oversight",
    "pghistory",
)
# What a regional editor may write: records that sit in a region, and new sources and quotes.
EDITOR_MODELS = {
    "regions.region",
    "companies.company",
    "projects.project",
    "projects.participant",
    "projects.milestone",
    "projects.fundsinplace",
    "projects.followup",
    "figures.figure",
    "indicators.observation",
    # Snoozing and resolving the warnings of their regions' projects; the rules are the bureau's.
    "oversight.projectwarning",
    # The signing events their regions held, and the projects signed at them.
    "oversight.signingevent",
    "oversight.signingeventproject",
    "commitments.commitment",
    "commitments.commitmentobservation",
}
EDITOR_ADD_ONLY = {"sources.source", "sources.citation"}


def role_of(user) -> Role:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Role.ANONYMOUS
    if user.is_superuser:
        return Role.BUREAU_ADMIN
    names = set(getattr(user, "_role_group_names", None) or _group_names(user))
    if GROUP_NAMES[Role.BUREAU_ADMIN] in names:
        return Role.BUREAU_ADMIN
    if GROUP_NAMES[Role.REGIONAL_EDITOR] in names:
        return Role.REGIONAL_EDITOR
    return Role.VIEWER


def _group_names(user) -> list[str]:
    names = list(user.groups.values_list("name", flat=True))
    user._role_group_names = names
    return names


def ensure_role_groups(app_config=None, **kwargs) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    from django.apps import apps

    # post_migrate comes once per app with models: act on the last, when every permission exists.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if app_config is not None and app_config is not with_models[-1]:
        return
    permissions = Permission.objects.filter(content_type__app_label__in=TRACKED_APPS).select_related("content_type")
    by_role: dict[Role, list[Permission]] = {Role.VIEWER: [], Role.REGIONAL_EDITOR: [], Role.BUREAU_ADMIN: []}
    for permission in permissions:
        label = f"{permission.content_type.app_label}.{permission.content_type.model}"
        action = permission.codename.split("_", 1)[0]
        by_role[Role.BUREAU_ADMIN].append(permission)
        if action == "view":
            by_role[Role.VIEWER].append(permission)
            by_role[Role.REGIONAL_EDITOR].append(permission)
        elif label in EDITOR_MODELS or (label in EDITOR_ADD_ONLY and action == "add"):
            by_role[Role.REGIONAL_EDITOR].append(permission)
    for role, granted in by_role.items():
        group, _created = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.set(granted)
