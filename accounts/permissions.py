"""API permissions: published reads for everyone (unless closed), writes by role and region."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from accounts.scope import may_write, scope_description


class TrackerPermission(permissions.DjangoModelPermissions):
    """Reads: anyone while `API_ANONYMOUS_READS` is on, else signed-in users. Writes: the model
    permission of the user's role, and for regional editors a record inside their regions."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(settings.API_ANONYMOUS_READS or (request.user and request.user.is_authenticated))
        if not (request.user and request.user.is_authenticated):
            return False
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not may_write(request.user, obj):
            self.message = _("This record lies outside your regions (%(regions)s); it is read-only to you.") % {
                "regions": scope_description(request.user)
            }
            return False
        return True


class SignedInReadsPermission(TrackerPermission):
    """Internal records: reads need a signed-in user unless the setting named by `anonymous_setting` is on
    (and anonymous reads are open at all); writes as for every record."""

    anonymous_setting = ""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS and not getattr(settings, self.anonymous_setting):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


class HistoryPermission(SignedInReadsPermission):
    """A record's history names the staff who changed it: signed-in users only (`API_ANONYMOUS_HISTORY`)."""

    anonymous_setting = "API_ANONYMOUS_HISTORY"


class FollowUpPermission(SignedInReadsPermission):
    """The tracking officer's log: signed-in users only (`API_ANONYMOUS_FOLLOW_UPS`)."""

    anonymous_setting = "API_ANONYMOUS_FOLLOW_UPS"
