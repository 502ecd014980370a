"""The naive baseline: ModelViewSets over the app's models, nested ModelSerializers, no query tuning.

This is what a first version written from the DRF tutorial looks like: `Model.objects.all()`,
nested serializers that load each relation row by row, filters read from the query string, DRF's
SearchFilter (icontains on the name columns), and a summary that aggregates group by group.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Sum
from rest_framework import filters, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from companies.models import Company
from industries.models import Industry
from projects.models import Milestone, Participant, Project, counts_in_totals, states_its_total
from regions.models import Region

APPROXIMATE = ["more_than", "at_least", "less_than", "about"]


class RegionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_zh", "level"]


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["id", "code", "name", "name_zh"]


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "slug", "name", "name_zh"]


class ParticipantSerializer(serializers.ModelSerializer):
    company = CompanySerializer()

    class Meta:
        model = Participant
        fields = ["id", "company", "role", "share", "note", "citation", "created_at", "updated_at"]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "stage", "date", "date_precision", "is_planned", "note", "citation", "created_at", "updated_at"]


class ProjectSerializer(serializers.ModelSerializer):
    region = RegionSummarySerializer()
    industries = IndustrySerializer(many=True)
    participants = ParticipantSerializer(many=True)
    milestones = MilestoneSerializer(many=True)

    class Meta:
        model = Project
        fields = [
            "id", "slug", "name", "name_zh", "aliases", "kind", "programme", "region", "industries", "stage",
            "stage_reason", "planned_investment", "currency", "investment_qualifier", "investment_citation",
            "national_code", "fai_registered_at", "tracked_by", "description", "created_at", "updated_at",
            "participants", "milestones",
        ]  # fmt: skip


class ProjectViewSet(viewsets.ModelViewSet):
    queryset = Project.objects.all()
    serializer_class = ProjectSerializer
    filter_backends = [filters.SearchFilter]
    # What the app's search reads (projects.SearchDocument), matched the naive way: no index, any case.
    search_fields = ["search_document__document"]

    def get_queryset(self) -> QuerySet[Project]:
        queryset = super().get_queryset()
        params = self.request.query_params
        if stages := params.getlist("stage"):
            queryset = queryset.filter(stage__in=stages)
        if code := params.get("region"):
            region = Region.objects.get(code=code)
            queryset = queryset.filter(region__path__descendant_of=region.path)
        if code := params.get("industry"):
            industry = Industry.objects.get(code=code)
            queryset = queryset.filter(industries__path__descendant_of=industry.path).distinct()
        return queryset

    @action(detail=False)
    def summary(self, request):
        group_by = request.query_params.get("group_by")
        # Every project, and the programmes whose stated total counts instead of their projects' amounts.
        projects = (
            self.filter_queryset(self.get_queryset())
            .filter(Q(kind="project") | states_its_total())
            .annotate(counted=ExpressionWrapper(counts_in_totals(), output_field=BooleanField()))
        )
        if group_by == "region":
            roots = Region.objects.filter(parent__isnull=True).order_by("code", "id")
            groups = [(r.code, r.name, projects.filter(region__path__descendant_of=r.path)) for r in roots]
        elif group_by == "industry":
            roots = Industry.objects.filter(parent__isnull=True).order_by("code", "id")
            groups = [
                (i.code, i.name, projects.filter(industries__path__descendant_of=i.path).distinct()) for i in roots
            ]
            unfiled = projects.filter(industries__isnull=True)
            if unfiled.exists():
                groups.append((None, "no industry recorded", unfiled))
        else:
            raise ValidationError({"group_by": ["Choose region or industry."]})
        return Response(
            {
                "group_by": group_by,
                "parent": None,
                "rows": [_totals(key, label, queryset) for key, label, queryset in groups],
                "totals": _totals(None, "all projects", projects),
            }
        )


def _totals(key: str | None, label: str, projects: QuerySet[Project]) -> dict:
    totals = projects.aggregate(
        n=Count("id", filter=Q(kind="project")),
        total=Sum("planned_investment", filter=Q(currency="CNY", counted=True)),
        bounds=Count("id", filter=Q(counted=True, investment_qualifier__in=APPROXIMATE)),
        without=Count("id", filter=Q(counted=True, planned_investment__isnull=True)),
    )
    return {
        "key": key,
        "label": label,
        "project_count": totals["n"],
        "total_investment": f"{totals['total'] or Decimal('0'):.2f}",
        "currency": "CNY",
        "includes_bounds": totals["bounds"] > 0,
        "projects_without_amount": totals["without"],
    }


class RegionDetailSerializer(serializers.ModelSerializer):
    parent = RegionSummarySerializer()
    ancestors = serializers.SerializerMethodField()
    children = RegionSummarySerializer(many=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_zh", "aliases", "level", "parent", "created_at", "updated_at",
                  "ancestors", "children"]  # fmt: skip

    def get_ancestors(self, region: Region) -> list[dict]:
        ancestors = Region.objects.filter(path__ancestor_of=region.path).exclude(pk=region.pk).order_by("path")
        return RegionSummarySerializer(ancestors, many=True).data


class RegionViewSet(viewsets.ModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionDetailSerializer
    lookup_field = "code"
