from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, TreeModel, local_name, tracked
from core.search import search_index


class IndustryScheme(models.TextChoices):
    GBT_4754 = "gbt4754", _("GB/T 4754 national economic industry classification")
    CHAIN = "chain", _("industry chain (local policy)")


@tracked
class Industry(TreeModel, TimeStampedModel):
    """A category that firms and projects are filed under.

    Two schemes live in one tree table: GB/T 4754-2017 categories (section C, division C27, ...)
    where the classification is known, and the industry chains (产业链) that local policy names,
    such as semiconductors and integrated circuits or the beautiful and healthy industry. A filter
    on an industry includes its children.
    """

    Scheme = IndustryScheme

    code = models.CharField(
        verbose_name=_("code"),
        max_length=40,
        unique=True,
        help_text=_("GB/T 4754 code (C27) or the code of an industry chain (CHAIN-SEMICONDUCTOR)."),
    )
    name = models.CharField(verbose_name=_("name"), max_length=200)
    name_zh = models.CharField(verbose_name=_("Chinese name"), max_length=200, blank=True)
    aliases = ArrayField(models.CharField(max_length=200), verbose_name=_("aliases"), default=list, blank=True)
    scheme = models.CharField(verbose_name=_("scheme"), max_length=16, choices=IndustryScheme.choices)
    parent = models.ForeignKey(
        to="industries.Industry",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )
    description = models.TextField(verbose_name=_("description"), blank=True)

    class Meta:
        indexes = [search_index("industry_search_trgm")]
        ordering = ["code", "id"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        constraints = [
            models.CheckConstraint(
                condition=Q(scheme__in=IndustryScheme.values),
                name="industries_industry_scheme_valid",
                violation_error_message=_("Unknown industry scheme."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(scheme="gbt4754", code__regex=r"^[A-T]([0-9]{2,4})?$")
                    | Q(scheme="chain", code__regex=r"^CHAIN-[A-Z0-9-]+$")
                ),
                name="industries_industry_code_matches_scheme",
                violation_error_message=_(
                    "GB/T 4754 codes are a section letter and up to four digits (C27); chain codes start with CHAIN-."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="industries_industry_not_own_parent",
                violation_error_message=_("An industry cannot be its own parent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{local_name(self)} ({self.code})"

    def clean(self) -> None:
        super().clean()
        parent = self.parent
        if parent is None:
            return
        if self.scheme and parent.scheme != self.scheme:
            raise ValidationError({"parent": _("An industry sits below one of the same scheme.")})
        if self.pk and (
            parent.pk == self.pk
            or (self.path and parent.path.split(".")[: len(self.path.split("."))] == self.path.split("."))
        ):
            raise ValidationError({"parent": _("An industry cannot be placed below itself.")})
