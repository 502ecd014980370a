"""Every projection (api.projection) writes, byte for byte, what its serializer writes over the queryset the
projection derives: for a record with every field filled (decimals with trailing zeros, timestamps with
microseconds, quotes, backslashes, Chinese text, nested records and lists) and for a bare one (nulls, empty
lists). A viewset that becomes projected must add its records here, or the first test fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import get_resolver
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from api.projection import Projection, projection_of, registered
from figures.models import Figure
from projects.models import FollowUp, Participant, Project
from projects.serializers import ProjectDetailSerializer, ProjectPublicDetailSerializer, ProjectSerializer
from regions.models import Region
from regions.serializers import RegionDetailSerializer, RegionSerializer
from tests.factories import (
    CitationFactory,
    CityFactory,
    CompanyFactory,
    CountyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    IndustryFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectFactory,
    ProvinceFactory,
    StaffUserFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db

AWKWARD = 'A "quoted" \\ name, 引号“科伦”\tand a new\nline'
MICRO = dt.datetime(2024, 12, 31, 23, 59, 59, 120, tzinfo=dt.UTC)
WHOLE_SECOND = dt.datetime(2024, 8, 1, 1, 30, tzinfo=dt.UTC)


def full_project() -> Project:
    programme = ProjectFactory(kind=Project.Kind.PROGRAMME, name_zh="丽水集群")
    project = ProjectFactory(
        name=AWKWARD,
        name_zh="科伦高端制剂",
        aliases=["Kolen", "科伦", 'with "quotes"'],
        programme=programme,
        planned_investment=Decimal("2000000000.10"),
        investment_qualifier="more_than",
        stage_reason="签约后暂缓",
        investment_citation=CitationFactory(quote=AWKWARD),
        tracked_by=StaffUserFactory(username="zhang.wei"),
        national_code="2111-331181-04-01-342068",
        fai_registered_at=dt.date(2024, 10, 31),
        description="第一\t第二",
    )
    project.industries.set([IndustryFactory(), IndustryFactory()])
    citation = CitationFactory(quote="“引号”")
    ParticipantFactory(project=project, role=Participant.Role.LEAD_INVESTOR, company=CompanyFactory(name_zh="科伦"))
    ParticipantFactory(project=project, share=Decimal("12.50"), citation=citation, note="第一")
    MilestoneFactory(project=project, stage=Project.Stage.SIGNED, date=dt.date(2024, 7, 1), citation=citation)
    # Started, and more than 5 million yuan: `fai_eligible` is true.
    MilestoneFactory(project=project, stage=Project.Stage.CONSTRUCTION_STARTED, date=dt.date(2024, 9, 1))
    FundsInPlaceFactory(project=project, amount=Decimal("0.10"), citation=citation)
    FigureFactory(project=project, value=Decimal("-3.2500"), unit=Figure.Unit.PERCENT, citation=citation)
    FollowUpFactory(project=project, author=StaffUserFactory(), next_step_due=dt.date(2025, 1, 2))
    ProjectFactory(programme=project, name="B component", name_zh="乙")
    Project.objects.filter(pk=project.pk).update(created_at=WHOLE_SECOND, updated_at=MICRO)
    Participant.objects.filter(project=project).update(updated_at=MICRO)
    FollowUp.objects.filter(project=project).update(created_at=WHOLE_SECOND)
    return project


def bare_project() -> Project:
    return ProjectFactory(planned_investment=None, investment_qualifier="", aliases=[], investment_citation=None)


def full_region() -> Region:
    city = CityFactory(name_zh="丽水市", aliases=["Lishui", "处州"])
    county = CountyFactory(parent=city, name=AWKWARD, name_zh="龙泉市", aliases=["龙泉", 'with "quotes"'])
    ZoneFactory(parent=county)
    Region.objects.filter(pk=county.pk).update(created_at=WHOLE_SECOND, updated_at=MICRO)
    return county


def bare_region() -> Region:
    return ProvinceFactory(aliases=[])


# Each projection's records: one with every field filled, one bare.
RECORDS: dict[type, tuple[Callable[[], models.Model], Callable[[], models.Model]]] = {
    ProjectSerializer: (full_project, bare_project),
    ProjectDetailSerializer: (full_project, bare_project),
    ProjectPublicDetailSerializer: (full_project, bare_project),
    RegionSerializer: (full_region, bare_region),
    RegionDetailSerializer: (full_region, bare_region),
}


def projected_bytes(projection: Projection, pk: int) -> bytes:
    record = projection.annotate(projection.model.objects.filter(pk=pk)).get()
    return JSONRenderer().render(projection.load([record.projected])[0])


def serialized_bytes(projection: Projection, pk: int) -> bytes:
    record = projection.queryset().get(pk=pk)
    return JSONRenderer().render(projection.serializer_class(record).data)


def test_every_projection_the_api_uses_has_its_records_here():
    get_resolver().url_patterns  # noqa: B018 - loading the URLs builds every viewset's projections
    assert {projection.serializer_class for projection in registered()} <= set(RECORDS)
    assert {ProjectSerializer, ProjectDetailSerializer, RegionSerializer, RegionDetailSerializer} <= {
        projection.serializer_class for projection in registered()
    }


@pytest.mark.parametrize("serializer_class", RECORDS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/St_Johns"])
def test_a_projection_writes_the_serializer_s_bytes(serializer_class, zone):
    projection = projection_of(serializer_class)
    full, bare = (build() for build in RECORDS[serializer_class])

    with timezone.override(zone):
        for record in (full, bare):
            assert projected_bytes(projection, record.pk) == serialized_bytes(projection, record.pk)


@pytest.mark.parametrize("serializer_class", RECORDS, ids=lambda cls: cls.__name__)
def test_the_full_record_fills_every_field_and_the_bare_one_leaves_the_nullable_ones_empty(serializer_class):
    projection = projection_of(serializer_class)
    full, bare = (build() for build in RECORDS[serializer_class])
    full_data = projection_of(serializer_class).serializer_class(projection.queryset().get(pk=full.pk)).data
    bare_data = projection_of(serializer_class).serializer_class(projection.queryset().get(pk=bare.pk)).data

    # A reader who is not signed in never gets the follow-up log.
    always_empty = {"follow_ups"} if serializer_class is ProjectPublicDetailSerializer else set()
    assert [name for name, value in full_data.items() if value in (None, [], "")] == sorted(always_empty)
    assert any(value in (None, []) for value in bare_data.values())


def test_a_method_field_without_its_sql_fails_when_compiled():
    class WithMethod(serializers.ModelSerializer):
        shout = serializers.SerializerMethodField()

        class Meta:
            model = Region
            fields = ["code", "shout"]

        def get_shout(self, region):
            return region.name.upper()

    with pytest.raises(ImproperlyConfigured, match=r"WithMethod\.shout is a SerializerMethodField"):
        Projection(WithMethod)


def test_a_decimal_written_with_other_places_than_its_column_fails_when_compiled():
    class Rounded(serializers.ModelSerializer):
        planned_investment = serializers.DecimalField(max_digits=20, decimal_places=0)

        class Meta:
            model = Project
            fields = ["id", "planned_investment"]

    with pytest.raises(ImproperlyConfigured, match="decimal places"):
        Projection(Rounded)


def test_more_keys_than_one_json_call_takes_still_write_one_object_in_order():
    names = [f"k{i}" for i in range(120)]

    class Wide(serializers.ModelSerializer):
        class Meta:
            model = Region
            fields = ["id"]

    for name in names:
        Wide._declared_fields[name] = serializers.CharField(source="code", read_only=True)
    Wide.Meta.fields = ["id", *names]
    region = CityFactory()

    projection = Projection(Wide)
    data = projection.load([projection.annotate(Region.objects.filter(pk=region.pk)).get().projected])[0]

    assert list(data) == ["id", *names]
    assert set(data.values()) == {region.pk, region.code}
