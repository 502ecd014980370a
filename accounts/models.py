from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class RegionAssignment(TimeStampedModel):
    """A region a regional editor answers for: they may write records located in its subtree."""

    user = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="region_assignments",
    )
    region = models.ForeignKey(
        to="regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="editor_assignments",
    )

    class Meta:
        ordering = ["user_id", "region_id", "id"]
        verbose_name = _("region assignment")
        verbose_name_plural = _("region assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "region"],
                name="accounts_regionassignment_unique",
                violation_error_message=_("This user already answers for this region."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.region}"
