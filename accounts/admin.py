from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from knox.admin import AuthTokenAdmin, AuthTokenCreateForm
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts.models import RegionAssignment


class RegionAssignmentInline(admin.TabularInline):
    model = RegionAssignment
    autocomplete_fields = ("region",)
    extra = 0


@admin.register(RegionAssignment)
class RegionAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "created_at")
    list_select_related = ("user", "region")
    search_fields = ("user__username", "region__code", "region__name", "region__name_zh")
    autocomplete_fields = ("user", "region")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    """Users, with the regions each regional editor answers for."""

    inlines = [*UserAdmin.inlines, RegionAssignmentInline]


class ExpiringTokenCreateForm(AuthTokenCreateForm):
    """knox's form for a new token, whose expiry must be given: the configured lifetime ahead unless
    changed, never in the past. Left empty, knox would issue a token that never expires."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        expiry = self.fields["expiry"]
        expiry.required = True
        expiry.initial = lambda: timezone.now() + knox_settings.TOKEN_TTL
        expiry.help_text = _("When the token stops working. The token itself is shown once, after saving.")

    def clean_expiry(self):
        expiry = self.cleaned_data["expiry"]
        if expiry <= timezone.now():
            raise ValidationError(_("A token must expire in the future."), code="expired")
        return expiry


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class TrackerAuthTokenAdmin(AuthTokenAdmin):
    """API tokens: issued here, shown once in a message; only their hash is kept, so an existing
    token can be shortened (its expiry) or deleted, nothing else."""

    add_form = ExpiringTokenCreateForm
    # knox's fields have no translatable names ("digest", "expiry" in every language): the list, the forms
    # and the read-only values are labelled here.
    LABELS = {"user": _("user"), "expiry": _("expires")}
    list_display = ("digest_shown", "user_shown", "created_shown", "expiry_shown")
    SHOWN = ("digest_shown", "token_key_shown", "user_shown", "created_shown")

    def get_fields(self, request, obj=None):
        return ("user", "expiry") if obj is None else (*self.SHOWN, "expiry")

    def get_readonly_fields(self, request, obj=None):
        return self.SHOWN if obj is not None else ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.LABELS:
            kwargs["label"] = capfirst(self.LABELS[db_field.name])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("digest"), ordering="digest")
    def digest_shown(self, token) -> str:
        return token.digest

    @admin.display(description=_("token prefix"))
    def token_key_shown(self, token) -> str:
        return token.token_key

    @admin.display(description=_("user"), ordering="user__username")
    def user_shown(self, token) -> str:
        return str(token.user)

    @admin.display(description=_("issued"), ordering="created")
    def created_shown(self, token):
        return token.created

    @admin.display(description=_("expires"), ordering="expiry")
    def expiry_shown(self, token):
        return token.expiry
