from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from commitments.models import CommitmentKind
from core.admin import TrackerInline, TrackerModelAdmin
from oversight.models import ProjectWarning, SigningEvent, SigningEventProject, WarningRule
from projects.models import Stage

# What each piece of a warning's evidence is called (oversight.services.hits_sql writes them).
EVIDENCE_LABELS = {
    "signed_on": _("signed on"),
    "started_on": _("construction started on"),
    "planned_start": _("planned start"),
    "counted_from": _("counted from"),
    "months": _("months"),
    "days": _("days"),
    "red_after_months": _("red after (months)"),
    "days_late": _("days late"),
    "last_funds_on": _("funds last rose by"),
    "agreed": _("planned investment (yuan)"),
    "in_place": _("funds in place (yuan)"),
    "share_percent": _("share in place (%)"),
    "threshold_percent": _("threshold (%)"),
    "last_follow_up": _("last follow-up"),
    "days_since": _("days since"),
    "stage": _("stage"),
    "entered_on": _("entered on"),
    "source": _("known from"),
    "days_in_stage": _("days in the stage"),
    "breaches": _("breaches"),
    "kinds": _("commitments"),
    "periods": _("periods"),
}
SOURCES = {"milestone": _("milestone"), "history": _("change history"), "created": _("the day it was recorded")}


def evidence_value(key: str, value) -> str:
    if value is None:
        return "\u2014"
    if key == "stage" and value in Stage.values:
        return str(Stage(value).label)
    if key == "source":
        return str(SOURCES.get(value, value))
    if key == "kinds":
        return "、".join(str(CommitmentKind(kind).label) if kind in CommitmentKind.values else kind for kind in value)
    if key == "periods":
        return "、".join(value)
    return str(value)


@admin.register(WarningRule)
class WarningRuleAdmin(TrackerModelAdmin):
    list_display = ("region", "code", "level", "months", "days", "share_percent", "red_after_months", "is_active")
    list_filter = ("code", "level", "is_active")
    list_select_related = ("region",)
    search_fields = ("region__name", "region__name_zh", "region__code")
    autocomplete_fields = ("region",)
    fields = ("region", "code", "level", "months", "days", "share_percent", "red_after_months", "is_active", "note")
    history_title_fields = ("region", "code")


class SnoozeForm(forms.ModelForm):
    """Snoozing in the admin: a date after today and a reason, or neither."""

    def clean(self):
        data = super().clean()
        until, reason = data.get("snoozed_until"), (data.get("snooze_reason") or "").strip()
        if until and until <= timezone.localdate() and "snoozed_until" in self.changed_data:
            self.add_error("snoozed_until", ValidationError(_("Snooze until a day after today.")))
        if bool(until) != bool(reason):
            raise ValidationError(_("Snoozing needs a reason and a date."))
        return data


class OpenFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("open")), ("no", _("resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(ProjectWarning)
class ProjectWarningAdmin(TrackerModelAdmin):
    """The red/yellow list: written by the evaluation; people snooze a warning here (or resolve it in the API)."""

    form = type("ProjectWarningForm", (SnoozeForm, TrackerModelAdmin.form), {})
    list_display = (
        "project", "rule", "level", "on_hold", "first_seen_at", "last_evaluated_at", "snoozed_until", "resolved_at",
    )  # fmt: skip
    list_filter = (OpenFilter, "level", "rule", "project__stage")
    list_select_related = ("project",)
    search_fields = ("project__name", "project__name_zh", "project__slug")
    fields = (
        "project", "rule", "rule_setting", "level", "first_seen_at", "last_evaluated_at", "evidence_table",
        "resolved_at", "resolved_by", "snoozed_until", "snooze_reason", "snoozed_by",
    )  # fmt: skip
    readonly_fields = (
        "project", "rule", "rule_setting", "level", "first_seen_at", "last_evaluated_at", "evidence_table",
        "resolved_at", "resolved_by", "snoozed_by",
    )  # fmt: skip
    history_title_fields = ("project", "rule")

    @admin.display(description=_("on hold"), boolean=True)
    def on_hold(self, obj) -> bool:
        return obj.project.stage == Stage.ON_HOLD

    @admin.display(description=_("evidence"))
    def evidence_table(self, obj) -> str:
        rows = ((EVIDENCE_LABELS.get(key, key), evidence_value(key, value)) for key, value in obj.evidence.items())
        return format_html_join("", "<div><strong>{}</strong>: {}</div>", rows)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change) -> None:
        if {"snoozed_until", "snooze_reason"} & set(form.changed_data):
            obj.snoozed_by = request.user if obj.snoozed_until else None
        super().save_model(request, obj, form, change)


class SigningEventProjectInline(TrackerInline):
    """The projects signed at the event: each in the event's region or below it, and at no other event."""

    model = SigningEventProject
    fields = ("project",)
    autocomplete_fields = ("project",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event__region", "project__region")


@admin.register(SigningEvent)
class SigningEventAdmin(TrackerModelAdmin):
    """Signing events (签约活动), the cohorts of the conversion funnel, with the projects signed at each."""

    list_display = ("name", "date", "region", "project_count")
    list_filter = ("date",)
    list_select_related = ("region",)
    search_fields = ("name", "region__name", "region__name_zh", "region__code")
    autocomplete_fields = ("region",)
    date_hierarchy = "date"
    fields = ("name", "date", "region", "note")
    inlines = (SigningEventProjectInline,)
    history_title_fields = ("name", "date")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("projects"), ordering="member_count")
    def project_count(self, obj) -> int:
        return obj.member_count
