from itertools import permutations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.admin import (
    DocumentSearchMixin,
    TrackerInline,
    TrackerModelAdmin,
    kept_forms,
    partial_date_column,
    titled_choices_filter,
)
from core.choices import DatePrecision
from core.dates import PartialDate
from core.imports import TrackerImportExportMixin
from figures.admin import FigureInline
from projects.models import (
    FollowUp,
    FundsInPlace,
    Milestone,
    Participant,
    ParticipantRole,
    Project,
    SearchDocument,
    fai_eligible,
    fai_pending,
    funds_surely_before,
)
from projects.resources import ProjectResource

PROJECT_SEARCH_FIELDS = ("project__name", "project__name_zh", "project__slug")
COMPACT_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


class ParticipantFormSet(BaseInlineFormSet):
    """Catches a second lead investor in the form; the database would only refuse it on save."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        leads = [form for form in kept_forms(self) if form.cleaned_data.get("role") == ParticipantRole.LEAD_INVESTOR]
        if len(leads) > 1:
            raise ValidationError(_("A project has at most one lead investor."), code="lead_investor")


class FundsInPlaceFormSet(BaseInlineFormSet):
    """Funds in place are cumulative: a figure surely dated later never shows less money.

    The model checks a figure against those already saved (and says when two dates known to a
    precision are surely in order); this checks the figures entered together, which the model
    cannot see yet.
    """

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        figures = [
            (PartialDate(form.cleaned_data["as_of"], form.cleaned_data.get("as_of_precision") or DatePrecision.DAY),
             form.cleaned_data["amount"])
            for form in kept_forms(self)
            if form.cleaned_data.get("as_of") and form.cleaned_data.get("amount") is not None
        ]  # fmt: skip
        for (earlier_date, earlier), (date, amount) in permutations(figures, 2):
            if amount < earlier and funds_surely_before(earlier_date, date):
                raise ValidationError(
                    _(
                        "Funds in place are cumulative: %(amount)s by %(date)s is less than "
                        "%(earlier)s by %(earlier_date)s."
                    )
                    % {"amount": amount, "date": date, "earlier": earlier, "earlier_date": earlier_date},
                    code="not_cumulative",
                )


class ParticipantInline(TrackerInline):
    model = Participant
    formset = ParticipantFormSet
    fields = ("company", "role", "share", "note", "citation")
    autocomplete_fields = ("company", "citation")
    formfield_overrides = COMPACT_TEXT
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "company")


class MilestoneInline(TrackerInline):
    model = Milestone
    fields = ("stage", "date", "date_precision", "is_planned", "note", "citation")
    autocomplete_fields = ("citation",)
    formfield_overrides = COMPACT_TEXT
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")


class FundsInPlaceInline(TrackerInline):
    model = FundsInPlace
    formset = FundsInPlaceFormSet
    fields = ("as_of", "as_of_precision", "amount", "currency", "qualifier", "citation")
    autocomplete_fields = ("citation",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")


class FollowUpInline(TrackerInline):
    model = FollowUp
    fields = ("happened_on", "author", "action", "next_step", "next_step_due")
    autocomplete_fields = ("author",)
    formfield_overrides = COMPACT_TEXT
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "author")


class TrackedByFilter(admin.SimpleListFilter):
    """Lets an officer see the projects they follow, or those nobody follows yet."""

    title = _("tracked by")
    parameter_name = "tracked"

    def lookups(self, request, model_admin):
        return [("me", _("me")), ("nobody", _("nobody"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(tracked_by=request.user)
        if self.value() == "nobody":
            return queryset.filter(tracked_by__isnull=True)
        return queryset


class InvestmentStatisticsFilter(admin.SimpleListFilter):
    """The investment statistics (纳统): the projects to enter (待入库), those entered, and those not eligible yet.

    The same rule as the API's `fai_eligible` and `fai_pending` (projects.models.fai_eligible)."""

    title = _("investment statistics (纳统)")
    parameter_name = "fai"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("eligible, not entered (待入库)")),
            ("registered", _("entered (已入库)")),
            ("not_eligible", _("not eligible")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(fai_pending())
        if self.value() == "registered":
            return queryset.filter(fai_registered_at__isnull=False)
        if self.value() == "not_eligible":
            return queryset.filter(~fai_eligible())
        return queryset


@admin.register(Project)
class ProjectAdmin(TrackerImportExportMixin, DocumentSearchMixin, TrackerModelAdmin):
    resource_classes = (ProjectResource,)
    list_display = (
        "name",
        "name_zh",
        "region",
        "stage",
        "planned_investment",
        "currency",
        "investment_qualifier",
        "tracked_by",
    )
    list_select_related = ("region", "tracked_by")
    list_filter = (
        "stage",
        "kind",
        "investment_qualifier",
        ("region__level", titled_choices_filter(_("region level"))),
        TrackedByFilter,
        InvestmentStatisticsFilter,
    )
    # Its names, its regions', industries' and participants' (core.admin.DocumentSearchMixin): 科伦 finds Kelun's.
    search_fields = ("search_document__document",)
    search_documents = SearchDocument
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("region", "programme", "investment_citation", "tracked_by", "industries")
    fieldsets = (
        (None, {"fields": ("name", "name_zh", "aliases", "slug", "kind", "programme", "region", "industries")}),
        (_("Stage"), {"fields": ("stage", "stage_reason")}),
        (
            _("Investment"),
            {"fields": ("planned_investment", "currency", "investment_qualifier", "investment_citation")},
        ),
        (_("Investment statistics (纳统)"), {"fields": ("national_code", "fai_registered_at")}),
        (None, {"fields": ("tracked_by", "description")}),
    )
    inlines = (ParticipantInline, MilestoneInline, FundsInPlaceInline, FigureInline, FollowUpInline)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "stage":
            kwargs["help_text"] = _(
                "Follows the actual milestones below: record a milestone to move the project on. "
                "Choose on hold or cancelled, with the reason, to take it out of the funnel."
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("tracked_by", request.user.pk)
        return initial

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not FollowUp:
            super().save_formset(request, form, formset, change)
            return
        # A follow-up entered without an author was written by whoever saves it.
        for follow_up in formset.save(commit=False):
            if follow_up.author_id is None:
                follow_up.author = request.user
            follow_up.save()
        for follow_up in formset.deleted_objects:
            follow_up.delete()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # A database trigger moved the stage to the furthest actual milestone just saved.
        form.instance.refresh_from_db(fields=["stage"])


@admin.register(Milestone)
class MilestoneAdmin(TrackerModelAdmin):
    list_display = ("project", "stage", "date_as_typed", "is_planned")
    list_select_related = ("project",)
    list_filter = ("stage", "is_planned", "date_precision")
    search_fields = (*PROJECT_SEARCH_FIELDS, "note")
    autocomplete_fields = ("project", "citation")
    fields = ("project", "stage", "date", "date_precision", "is_planned", "note", "citation")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")

    date_as_typed = partial_date_column("date", _("date"))


@admin.register(Participant)
class ParticipantAdmin(TrackerModelAdmin):
    list_display = ("project", "company", "role", "share")
    list_select_related = ("project", "company")
    list_filter = ("role",)
    search_fields = (*PROJECT_SEARCH_FIELDS, "company__name", "company__name_zh")
    autocomplete_fields = ("project", "company", "citation")
    fields = ("project", "company", "role", "share", "note", "citation")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "company")


@admin.register(FundsInPlace)
class FundsInPlaceAdmin(TrackerModelAdmin):
    list_display = ("project", "as_of_as_typed", "amount", "currency", "qualifier")
    list_select_related = ("project",)
    list_filter = ("currency", "qualifier", "as_of_precision")
    search_fields = PROJECT_SEARCH_FIELDS
    autocomplete_fields = ("project", "citation")
    fields = ("project", "as_of", "as_of_precision", "amount", "currency", "qualifier", "citation")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")

    as_of_as_typed = partial_date_column("as_of", _("as of"))


@admin.register(FollowUp)
class FollowUpAdmin(TrackerModelAdmin):
    list_display = ("project", "happened_on", "author", "action_excerpt", "next_step_due")
    list_select_related = ("project", "author")
    list_filter = ("happened_on", "next_step_due")
    search_fields = (*PROJECT_SEARCH_FIELDS, "action", "next_step")
    autocomplete_fields = ("project", "author")
    fields = ("project", "happened_on", "author", "action", "next_step", "next_step_due")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "author")

    def save_model(self, request, obj, form, change) -> None:
        if obj.author_id is None:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("what was done"), ordering="action")
    def action_excerpt(self, obj) -> str:
        return Truncator(obj.action).chars(80)
