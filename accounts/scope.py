"""Region scope: which records a regional editor may write.

A record is *located* in a region: a region in itself (a new one in its parent), a company at its
headquarters, a project in its region, a project's participants, milestones, figures and
follow-ups with their project, an observation in its region. A regional editor may write a
record only when it is located in the subtree of a region assigned to them, both before and
after the write, so nothing moves into or out of their territory through them.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext

from accounts.roles import Role, role_of
from core.models import Located


class NotLocated:
    """The record is not tied to a region (an industry, a source): only administrators write it."""


NOT_LOCATED = NotLocated()


def assigned_paths(user) -> list[str]:
    """Paths of the regions assigned to `user`, read once per request."""
    cached = getattr(user, "_assigned_region_paths", None)
    if cached is None:
        from accounts.models import RegionAssignment

        cached = list(RegionAssignment.objects.filter(user=user).values_list("region__path", flat=True))
        user._assigned_region_paths = cached
    return cached


def location_path(obj: Model) -> str | NotLocated | None:
    """The path of the region `obj` is placed in, as its fields stand now (`core.models.Located`); None when it
    has none yet; NOT_LOCATED for a record no region holds."""
    if isinstance(obj, Located):
        return obj.location_path()
    return NOT_LOCATED


def _within(path: str, ancestors: list[str]) -> bool:
    return any(path == root or path.startswith(root + ".") for root in ancestors)


def may_write(user, obj: Model) -> bool:
    """Whether `user` may create, change or delete `obj` as it stands (model permissions aside)."""
    role = role_of(user)
    if role == Role.BUREAU_ADMIN:
        return True
    if role != Role.REGIONAL_EDITOR:
        return False
    path = location_path(obj)
    if isinstance(path, NotLocated):
        # New sources and quotes may be added by editors (their model permission says so); changes
        # to shared records are the bureau's.
        return obj.pk is None
    return path is not None and _within(path, assigned_paths(user))


def editable_regions(user, queryset: QuerySet) -> QuerySet:
    """The regions `user` may place records in (all of them for administrators)."""
    role = role_of(user)
    if role == Role.BUREAU_ADMIN:
        return queryset
    if role != Role.REGIONAL_EDITOR:
        return queryset.none()
    condition = Q(pk__in=[])
    for path in assigned_paths(user):
        condition |= Q(path__descendant_of=path)
    return queryset.filter(condition)


def editable_projects(user, queryset: QuerySet) -> QuerySet:
    """The projects `user` may attach records to (participants, milestones, ...): those in their regions."""
    from regions.models import Region

    if role_of(user) == Role.BUREAU_ADMIN:
        return queryset
    return queryset.filter(region__in=editable_regions(user, Region.objects.all()))


def scope_description(user) -> str:
    from regions.models import Region

    codes = Region.objects.filter(path__in=assigned_paths(user)).values_list("code", flat=True)
    return ", ".join(codes) or "none"


def write_refusal(user, instance) -> str | None:
    """Why `user` may not leave `instance` where it is now placed, or None (settings.API_WRITE_SCOPE)."""
    if may_write(user, instance):
        return None
    return gettext("This would place the record outside your regions (%(regions)s).") % {
        "regions": scope_description(user)
    }
