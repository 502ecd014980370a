from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import KeyRelatedField, SlugKeyRelatedField, ValidatedModelSerializer
from industries.models import Industry


class IndustrySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name", "name_zh"]
        read_only_fields = fields


def industry_codes_field(**kwargs) -> serializers.SlugRelatedField:
    """Industries written and read as a list of codes."""
    return SlugKeyRelatedField(
        slug_field="code",
        queryset=Industry.objects.all(),
        many=True,
        required=False,
        help_text="Industry codes (GB/T 4754 such as C27, or industry chains such as CHAIN-METAVERSE).",
        **kwargs,
    )


class IndustrySerializer(ValidatedModelSerializer):
    parent = KeyRelatedField(
        summary_serializer=IndustrySummarySerializer,
        lookup=("code",),
        queryset=Industry.objects.all(),
        required=False,
        allow_null=True,
        help_text="Code of the broader industry (null for a top-level one).",
    )

    class Meta:
        model = Industry
        fields = [
            "id", "code", "name", "name_zh", "aliases", "scheme", "parent", "description", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]


class IndustryDetailSerializer(IndustrySerializer):
    ancestors = serializers.SerializerMethodField(help_text="Broader industries, top first.")
    children = IndustrySummarySerializer(many=True, read_only=True, help_text="Narrower industries.")

    class Meta(IndustrySerializer.Meta):
        fields = [*IndustrySerializer.Meta.fields, "ancestors", "children"]

    @extend_schema_field(IndustrySummarySerializer(many=True))
    def get_ancestors(self, industry: Industry) -> list[dict]:
        return IndustrySummarySerializer(industry.ancestors(), many=True).data


class AnnotatedCodesField(serializers.ManyRelatedField):
    """Industry codes, read from the queryset's `industry_codes` annotation when it is there (no
    prefetch query), else from the relation; written as codes like any slug field."""

    def get_attribute(self, instance):
        codes = getattr(instance, "industry_codes", None)
        return codes if codes is not None else super().get_attribute(instance)

    def to_representation(self, iterable) -> list[str]:
        return [item if isinstance(item, str) else self.child_relation.to_representation(item) for item in iterable]


def annotated_industry_codes_field() -> AnnotatedCodesField:
    """Industries written and read as a list of codes (as `industry_codes_field`), from an `industry_codes`
    annotation when the queryset has one (companies')."""
    return AnnotatedCodesField(
        child_relation=SlugKeyRelatedField(slug_field="code", queryset=Industry.objects.all()),
        required=False,
        help_text="Industry codes (GB/T 4754 such as C27, or industry chains such as CHAIN-METAVERSE).",
    )
