import re

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Located, TimeStampedModel, TreeModel, local_name, tracked
from core.search import search_index


class RegionLevel(models.TextChoices):
    COUNTRY = "country", _("country")
    PROVINCE = "province", _("province")
    PREFECTURE_CITY = "prefecture_city", _("prefecture-level city")
    DISTRICT = "district", _("district")
    COUNTY = "county", _("county")
    COUNTY_CITY = "county_city", _("county-level city")
    DEVELOPMENT_ZONE = "development_zone", _("development zone")
    BLOCK = "block", _("block")


# Depth of each level: a child's rank is always greater than its parent's. Zones sit below a city
# or a county; blocks (industrial areas) below a district, county or zone.
LEVEL_RANK = {
    RegionLevel.COUNTRY: 0,
    RegionLevel.PROVINCE: 1,
    RegionLevel.PREFECTURE_CITY: 2,
    RegionLevel.DISTRICT: 3,
    RegionLevel.COUNTY: 3,
    RegionLevel.COUNTY_CITY: 3,
    RegionLevel.DEVELOPMENT_ZONE: 4,
    RegionLevel.BLOCK: 5,
}
ADMINISTRATIVE_LEVELS = [
    RegionLevel.PROVINCE,
    RegionLevel.PREFECTURE_CITY,
    RegionLevel.DISTRICT,
    RegionLevel.COUNTY,
    RegionLevel.COUNTY_CITY,
]
INTERNAL_LEVELS = [RegionLevel.DEVELOPMENT_ZONE, RegionLevel.BLOCK]

# GB/T 2260: PPCCDD. A province ends in 0000, a prefecture-level city in 00 (but not 0000), a
# county-level unit in anything else. Countries use ISO 3166-1 alpha-2 (CN). Zones and blocks have
# no official code: theirs is the code of the division they sit in plus a suffix (331102-BQ).
CODE_PATTERNS = {
    "country": r"^[A-Z]{2}$",
    "province": r"^[1-9][0-9]0000$",
    "prefecture_city": r"^[1-9][0-9](0[1-9]|[1-9][0-9])00$",
    "county_level": r"^[1-9][0-9](0[1-9]|[1-9][0-9])(0[1-9]|[1-9][0-9])$",
    "internal": r"^[1-9][0-9]{5}-[A-Z0-9]{1,20}$",
}


def code_pattern_for(level: str) -> str:
    if level == RegionLevel.COUNTRY:
        return CODE_PATTERNS["country"]
    if level == RegionLevel.PROVINCE:
        return CODE_PATTERNS["province"]
    if level == RegionLevel.PREFECTURE_CITY:
        return CODE_PATTERNS["prefecture_city"]
    if level in INTERNAL_LEVELS:
        return CODE_PATTERNS["internal"]
    return CODE_PATTERNS["county_level"]


@tracked
class Region(Located, TreeModel, TimeStampedModel):
    """A place the tracker records investment in: an administrative division (country, province,
    city, district, county) or a development zone or block inside one.

    Administrative divisions carry their GB/T 2260 code; zones and blocks an internal code built on
    the code of the division that contains them. The hierarchy is a materialized path (`path`)
    kept by the database, so subtree and ancestor queries are single indexed queries.
    """

    def location_path(self) -> str | None:
        """A region is placed in itself: its path worked out from its parent, not read from its `path` column
        (the database rewrites that only on save, and a region being moved is judged where it goes). A new
        region is placed in its parent."""
        parent_path = self.parent.path if self.parent_id and self.parent else None
        if self.pk is None:
            return parent_path
        return f"{parent_path}.{self.pk}" if parent_path else str(self.pk)

    Level = RegionLevel

    code = models.CharField(
        verbose_name=_("code"),
        max_length=32,
        unique=True,
        help_text=_("GB/T 2260 code (331181), ISO country code (CN) or internal code of a zone (331102-BQ)."),
    )
    name = models.CharField(verbose_name=_("name"), max_length=200)
    name_zh = models.CharField(verbose_name=_("Chinese name"), max_length=200, blank=True)
    aliases = ArrayField(
        models.CharField(max_length=200),
        verbose_name=_("aliases"),
        default=list,
        blank=True,
        help_text=_("Other spellings, such as the article's 'Liantou District' for Liandu."),
    )
    level = models.CharField(verbose_name=_("level"), max_length=32, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        to="regions.Region",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )

    class Meta:
        indexes = [search_index("region_search_trgm")]
        ordering = ["code", "id"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=RegionLevel.values),
                name="regions_region_level_valid",
                violation_error_message=_("Unknown region level."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(level="country", code__regex=CODE_PATTERNS["country"])
                    | Q(level="province", code__regex=CODE_PATTERNS["province"])
                    | Q(level="prefecture_city", code__regex=CODE_PATTERNS["prefecture_city"])
                    | Q(level__in=["district", "county", "county_city"], code__regex=CODE_PATTERNS["county_level"])
                    | Q(level__in=["development_zone", "block"], code__regex=CODE_PATTERNS["internal"])
                ),
                name="regions_region_code_matches_level",
                violation_error_message=_("The code does not have the form its level requires."),
            ),
            models.CheckConstraint(
                condition=Q(level="country") | Q(parent__isnull=False) | Q(level="province"),
                name="regions_region_parent_required",
                violation_error_message=_("Only countries and provinces may stand without a parent."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="regions_region_not_own_parent",
                violation_error_message=_("A region cannot be its own parent."),
            ),
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"),
                name="regions_region_name_not_blank",
                violation_error_message=_("A region needs a name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{local_name(self)} ({self.code})"

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.code and self.level and not re.match(code_pattern_for(self.level), self.code):
            errors.setdefault("code", []).append(
                _("A %(level)s needs a code of the form %(pattern)s; %(code)s is not.")
                % {"level": self.get_level_display(), "pattern": _describe(self.level), "code": self.code}
            )
        parent = self.parent
        if parent is not None and self.level:
            if LEVEL_RANK[parent.level] >= LEVEL_RANK[self.level]:
                errors.setdefault("parent", []).append(
                    _("A %(level)s cannot sit below a %(parent_level)s.")
                    % {"level": self.get_level_display(), "parent_level": parent.get_level_display()}
                )
            if self.pk and (parent.pk == self.pk or (parent.path and self.path and _is_below(parent.path, self.path))):
                errors.setdefault("parent", []).append(_("A region cannot be placed below itself."))
            official = _nearest_official_code(parent)
            if self.code and official and not errors.get("code"):
                expected = _expected_prefix(self.level, official)
                if expected and not self.code.startswith(expected):
                    errors.setdefault("code", []).append(
                        _("The code %(code)s does not belong under %(parent)s: it should start with %(prefix)s.")
                        % {"code": self.code, "parent": parent, "prefix": expected}
                    )
        if errors:
            raise ValidationError(errors)


def _describe(level: str) -> str:
    return {
        "country": "CN",
        "province": "330000",
        "prefecture_city": "331100",
        "development_zone": "331100-HTZ",
        "block": "331102-BQ",
    }.get(level, "331181")


def _is_below(path: str, ancestor_path: str) -> bool:
    return path == ancestor_path or path.startswith(ancestor_path + ".")


def _nearest_official_code(region: "Region") -> str | None:
    while region is not None:
        if region.level in ADMINISTRATIVE_LEVELS:
            return region.code
        region = region.parent
    return None


def _expected_prefix(level: str, parent_code: str) -> str | None:
    """The part of a child's code fixed by its nearest administrative ancestor."""
    if level in INTERNAL_LEVELS:
        return parent_code + "-"
    if level == RegionLevel.PREFECTURE_CITY:
        return parent_code[:2]
    if level in (RegionLevel.DISTRICT, RegionLevel.COUNTY, RegionLevel.COUNTY_CITY):
        return parent_code[:4] if parent_code.endswith("00") and not parent_code.endswith("0000") else parent_code[:2]
    return None
