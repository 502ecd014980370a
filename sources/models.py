from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, tracked


class SourceKind(models.TextChoices):
    NEWS_ARTICLE = "news_article", _("news article")
    STATISTICAL_BULLETIN = "statistical_bulletin", _("statistical bulletin")
    GOVERNMENT_DOCUMENT = "government_document", _("government document")
    COMPANY_REPORT = "company_report", _("company report")
    OTHER = "other", _("other")


@tracked
class Source(TimeStampedModel):
    """A document that facts in the tracker come from: a news article, a bulletin, a report.

    Unknown details stay empty: the seed article gives no publisher or publication date.
    """

    Kind = SourceKind

    slug = models.SlugField(verbose_name=_("slug"), max_length=100, unique=True)
    title = models.CharField(verbose_name=_("title"), max_length=300)
    publisher = models.CharField(verbose_name=_("publisher"), max_length=200, blank=True)
    url = models.URLField(verbose_name=_("URL"), max_length=500, blank=True)
    published_on = models.DateField(verbose_name=_("published on"), null=True, blank=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=32, choices=Kind.choices, default=Kind.NEWS_ARTICLE)
    language = models.CharField(verbose_name=_("language"), max_length=16, default="en")
    notes = models.TextField(verbose_name=_("notes"), blank=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values),
                name="sources_source_kind_valid",
                violation_error_message=_("Unknown source kind."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


@tracked
class Citation(TimeStampedModel):
    """A sentence quoted from a source, with where it stands there, that backs one fact."""

    source = models.ForeignKey(
        to="sources.Source",
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        related_name="citations",
    )
    quote = models.TextField(verbose_name=_("quote"), help_text=_("The sentence as the source writes it."))
    locator = models.CharField(
        verbose_name=_("locator"),
        max_length=100,
        help_text=_("Where the quote stands in the source, such as the line (L19) or a page."),
    )

    class Meta:
        ordering = ["source_id", "locator", "id"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "locator", "quote"],
                name="sources_citation_unique_quote",
                violation_error_message=_("This source already has this quote at this place."),
            ),
            models.CheckConstraint(
                condition=Q(quote__regex=r"\S"),
                name="sources_citation_quote_not_blank",
                violation_error_message=_("A citation quotes its sentence."),
            ),
            models.CheckConstraint(
                condition=Q(locator__regex=r"\S"),
                name="sources_citation_locator_not_blank",
                violation_error_message=_("A citation says where the quote stands."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.locator}: {self.quote[:60]}"
