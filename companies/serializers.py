from rest_framework import serializers

from api.serializers import KeyRelatedField, ValidatedModelSerializer
from companies.models import Company
from figures.serializers import FigureSerializer
from industries.serializers import annotated_industry_codes_field
from regions.serializers import region_field
from sources.serializers import citation_field


class CompanySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "slug", "name", "name_zh"]
        read_only_fields = fields


def company_field(**kwargs) -> KeyRelatedField:
    """A company written as its id or slug and read back as a summary."""
    return KeyRelatedField(
        summary_serializer=CompanySummarySerializer, lookup=("pk", "slug"), queryset=Company.objects.all(), **kwargs
    )


class CompanySerializer(ValidatedModelSerializer):
    headquarters = region_field(required=False, allow_null=True, help_text="Code of the headquarters region.")
    parent = company_field(required=False, allow_null=True, help_text="Id or slug of the parent company.")
    parent_citation = citation_field()
    industries = annotated_industry_codes_field()
    project_count = serializers.IntegerField(read_only=True, help_text="Projects the company takes part in.")

    class Meta:
        model = Company
        fields = [
            "id", "slug", "name", "name_zh", "aliases", "kind", "credit_code", "credit_code_unverified",
            "headquarters", "parent", "parent_since", "parent_since_precision", "parent_citation", "industries",
            "stock_code", "website", "description", "project_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "project_count", "created_at", "updated_at"]


class CompanyDetailSerializer(CompanySerializer):
    subsidiaries = CompanySummarySerializer(many=True, read_only=True)
    figures = FigureSerializer(many=True, read_only=True)

    class Meta(CompanySerializer.Meta):
        fields = [*CompanySerializer.Meta.fields, "subsidiaries", "figures"]
