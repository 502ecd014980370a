"""Adding a field to a core model (docs/adding-a-field.md) cannot be half done: every concrete field of Project,
Company, Region and Observation is in its serializer, its filter set and its import resource, or in the
exclusion list below with the reason it stays out; every field of the pipeline's models (warnings, rules,
signing events, commitments) in its serializer and filter set, or excluded likewise. (The JSON projection is
compiled from the serializer, and tests/api/test_projection.py fills every serialized field, so the projection
needs no edit of its own.)"""

from __future__ import annotations

import pytest
from django.db import models

from commitments.models import Commitment, CommitmentObservation
from commitments.serializers import CommitmentObservationSerializer, CommitmentSerializer
from companies.filters import CompanyFilterSet
from companies.models import Company
from companies.resources import CompanyResource
from companies.serializers import CompanySerializer
from indicators.filters import ObservationFilterSet
from indicators.models import Observation
from indicators.resources import ObservationResource
from indicators.serializers import ObservationSerializer
from oversight.filters import ProjectWarningFilterSet, SigningEventFilterSet, WarningRuleFilterSet
from oversight.models import ProjectWarning, SigningEvent, WarningRule
from oversight.rules import PARAMETER_FIELDS
from oversight.serializers import ProjectWarningSerializer, SigningEventDetailSerializer, WarningRuleSerializer
from projects.filters import ProjectFilterSet
from projects.models import Project
from projects.resources import ProjectResource
from projects.serializers import ProjectSerializer
from regions.filters import RegionFilterSet
from regions.models import Region
from regions.resources import RegionResource
from regions.serializers import RegionSerializer

# Kept by the database, never written by a client, never filtered on.
BOOKKEEPING = {"id", "created_at", "updated_at", "version"}
# Text that `?search=` matches (core.search), rather than a filter of its own.
SEARCHED = {"name", "name_zh", "aliases", "slug"}
# Columns the database derives from other rows (a project's filter keys, `derived_fields`): neither shown,
# written nor filtered by that name; the region and industry filters read them.
DERIVED = set(Project.derived_fields)
# Fields filtered by a filter of another name (a subtree filter takes a code): field -> the filter.
FILTERED_AS = {"industries": "industry", "headquarters": "region"}

CASES = {
    Project: (
        ProjectSerializer,
        ProjectFilterSet,
        ProjectResource,
        {
            "serializer": BOOKKEEPING - {"id", "created_at", "updated_at"} | DERIVED,
            "filters": BOOKKEEPING
            | SEARCHED
            | DERIVED
            | {"description", "stage_reason", "currency", "investment_qualifier", "investment_citation", "tracked_by"},
            # A citation is chosen in the admin, not typed into a spreadsheet.
            "resource": BOOKKEEPING - {"version"} | {"investment_citation"} | DERIVED,
        },
    ),
    Company: (
        CompanySerializer,
        CompanyFilterSet,
        CompanyResource,
        {
            "serializer": {"version"},
            "filters": BOOKKEEPING
            | SEARCHED
            | {
                "credit_code_unverified",
                "parent_since",
                "parent_since_precision",
                "parent_citation",
                "stock_code",
                "website",
                "description",
            },
            "resource": BOOKKEEPING - {"version"} | {"parent_citation"},
        },
    ),
    Region: (
        RegionSerializer,
        RegionFilterSet,
        RegionResource,
        {
            # The materialised path is the database's (a trigger keeps it); the API shows ancestors instead.
            "serializer": {"version", "path"},
            "filters": BOOKKEEPING | SEARCHED - {"slug"} | {"path", "code"},
            "resource": BOOKKEEPING | {"path"},
        },
    ),
    Observation: (
        ObservationSerializer,
        ObservationFilterSet,
        ObservationResource,
        {
            "serializer": {"version"},
            # A period is filtered by `period` (its bounds are derived from it by a trigger).
            "filters": BOOKKEEPING
            | {"period_start", "period_end", "value", "qualifier", "rank_text", "formula", "citation"},
            "resource": BOOKKEEPING | {"period_start", "period_end", "citation"},
        },
    ),
}


def model_fields(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields} | {f.name for f in model._meta.many_to_many}


def serialized(serializer_class) -> set[str]:
    return {field.source.split(".")[0] for field in serializer_class().fields.values()}


def filtered(filterset_class) -> set[str]:
    names = {(f.field_name or name).split("__")[0] for name, f in filterset_class.base_filters.items()}
    return names | {field for field, name in FILTERED_AS.items() if name in filterset_class.base_filters}


def imported(resource_class) -> set[str]:
    return {(f.attribute or name).split("__")[0] for name, f in resource_class().fields.items()}


@pytest.mark.parametrize("model", CASES, ids=lambda model: model.__name__)
@pytest.mark.parametrize("where", ["serializer", "filters", "resource"])
def test_every_field_of_a_core_model_is_served_filtered_and_imported_or_excluded_for_a_reason(model, where):
    serializer_class, filterset_class, resource_class, excluded = CASES[model]
    present = {"serializer": serialized, "filters": filtered, "resource": imported}[where]
    found = present({"serializer": serializer_class, "filters": filterset_class, "resource": resource_class}[where])

    missing = model_fields(model) - found - excluded[where]

    assert not missing, f"{model.__name__} fields missing from its {where} (see docs/adding-a-field.md): {missing}"


@pytest.mark.parametrize("model", CASES, ids=lambda model: model.__name__)
def test_an_exclusion_names_a_real_field_that_is_really_left_out(model):
    serializer_class, filterset_class, resource_class, excluded = CASES[model]
    found = {
        "serializer": serialized(serializer_class),
        "filters": filtered(filterset_class),
        "resource": imported(resource_class),
    }
    for where, names in excluded.items():
        assert names <= model_fields(model), where
        assert not names & found[where], f"{where} excludes fields it has: {names & found[where]}"


# The pipeline's models (issues 22 and 23) are written through the API and the admin, not imported from
# spreadsheets (a warning is computed, a commitment needs its citation chosen): their fields are served by their
# serializer and, for the collections with filters, filtered, or excluded here with the reason.
PIPELINE_CASES = {
    WarningRule: (
        WarningRuleSerializer,
        WarningRuleFilterSet,
        # A rule's parameters and note are read with the rule, never looked for.
        {"serializer": {"version"}, "filters": BOOKKEEPING | set(PARAMETER_FIELDS) | {"note"}},
    ),
    ProjectWarning: (
        ProjectWarningSerializer,
        ProjectWarningFilterSet,
        # What the evaluation and the snooze write are read with the warning; `snoozed` filters `snoozed_until`.
        {
            "serializer": {"version"},
            "filters": BOOKKEEPING
            | {"evidence", "first_seen_at", "last_evaluated_at", "resolved_by", "rule_setting"}
            | {"snooze_reason", "snoozed_by", "snoozed_until"},
        },
    ),
    SigningEvent: (
        SigningEventDetailSerializer,
        SigningEventFilterSet,
        {"serializer": {"version"}, "filters": BOOKKEEPING | {"name", "note"}},
    ),
    # A project's commitments and their actuals are listed under the project, without filters.
    Commitment: (CommitmentSerializer, None, {"serializer": {"version"}}),
    CommitmentObservation: (CommitmentObservationSerializer, None, {"serializer": {"version"}}),
}


@pytest.mark.parametrize("model", PIPELINE_CASES, ids=lambda model: model.__name__)
def test_every_field_of_a_pipeline_model_is_served_and_filtered_or_excluded_for_a_reason(model):
    serializer_class, filterset_class, excluded = PIPELINE_CASES[model]
    found = {"serializer": serialized(serializer_class)}
    if filterset_class is not None:
        found["filters"] = filtered(filterset_class)
    for where, present in found.items():
        missing = model_fields(model) - present - excluded[where]
        assert not missing, f"{model.__name__} fields missing from its {where}: {missing}"
        assert excluded[where] <= model_fields(model), where
        assert not excluded[where] & present, f"{where} excludes fields it has: {excluded[where] & present}"
