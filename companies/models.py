from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from companies import credit_code
from companies.credit_code import CreditCodeError, validate_credit_code
from core.choices import DatePrecision
from core.constraints import date_precision_constraint
from core.models import Located, TimeStampedModel, local_name, tracked
from core.search import search_index
from core.slugs import SlugFromName

# Length and the GB 32100 character set are checked by the database; the two check characters
# by clean(), because a code may knowingly be stored unverified.
CREDIT_CODE_DB_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
# companies.credit_code's messages (it needs no Django, so it has no translations), by its error codes, in the
# language of the request: the same words, with the placeholders Django's ValidationError fills in.
CREDIT_CODE_MESSAGES = {
    credit_code.LENGTH: _("The credit code must be 18 characters long; this one has %(length)s."),
    credit_code.CHARSET: _(
        "The credit code contains the character '%(character)s' at position %(position)s, which is not allowed. "
        "Only the digits 0-9 and the capital letters A-Z except I, O, S, V and Z may be used."
    ),
    credit_code.ORGANISATION_CHECK: _(
        "The organisation code check character (GB 11714) is wrong: expected '%(expected)s', found '%(found)s'."
    ),
    credit_code.CHECK_CHARACTER: _(
        "The final check character (GB 32100) is wrong: expected '%(expected)s', found '%(found)s'."
    ),
}


class CompanyKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    GOVERNMENT = "government", _("government body")
    PLATFORM = "platform", _("platform or centre")
    ASSOCIATION = "association", _("association")


@tracked
class Company(Located, TimeStampedModel, SlugFromName):
    """A firm or organisation that invests, operates, partners in or promotes projects.

    Government bodies, platforms such as the Qingtian Innovation Empowerment Center and
    associations are recorded here too, distinguished by `kind`.
    """

    located_by = ("headquarters",)

    Kind = CompanyKind

    name = models.CharField(verbose_name=_("name"), max_length=300, unique=True)
    name_zh = models.CharField(verbose_name=_("Chinese name"), max_length=300, blank=True)
    aliases = ArrayField(
        models.CharField(max_length=300),
        verbose_name=_("aliases"),
        default=list,
        blank=True,
        help_text=_("Other names and spellings, such as the article's 'Kolen' for Kelun."),
    )
    slug = models.SlugField(
        verbose_name=_("slug"),
        max_length=120,
        unique=True,
        blank=True,
        help_text=_("Latin letters, digits and hyphens; left empty, it is made from the name (pinyin for Chinese)."),
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=CompanyKind.choices)
    credit_code = models.CharField(
        verbose_name=_("unified social credit code"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        help_text=_("18 characters (GB 32100); both check characters are verified unless marked unverified."),
    )
    credit_code_unverified = models.BooleanField(
        verbose_name=_("credit code unverified"),
        default=False,
        help_text=_("Store the code even though its check characters fail (as printed in a source)."),
    )
    headquarters = models.ForeignKey(
        to="regions.Region",
        verbose_name=_("headquarters region"),
        on_delete=models.PROTECT,
        related_name="headquartered_companies",
        null=True,
        blank=True,
    )
    parent = models.ForeignKey(
        to="companies.Company",
        verbose_name=_("parent company"),
        on_delete=models.PROTECT,
        related_name="subsidiaries",
        null=True,
        blank=True,
    )
    parent_since = models.DateField(
        verbose_name=_("parent since"),
        null=True,
        blank=True,
        help_text=_("When the parent relation began, stored as the first day of its precision."),
    )
    parent_since_precision = models.CharField(
        verbose_name=_("parent since precision"),
        max_length=8,
        choices=DatePrecision.choices,
        blank=True,
    )
    parent_citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("parent relation citation"),
        on_delete=models.PROTECT,
        related_name="company_relations",
        null=True,
        blank=True,
    )
    industries = models.ManyToManyField(
        to="industries.Industry",
        verbose_name=_("industries"),
        related_name="companies",
        blank=True,
    )
    stock_code = models.CharField(
        verbose_name=_("stock code"), max_length=32, blank=True, help_text=_("Exchange and code, e.g. SZ 002422.")
    )
    website = models.URLField(verbose_name=_("website"), max_length=300, blank=True)
    description = models.TextField(verbose_name=_("description"), blank=True)

    class Meta:
        indexes = [search_index("company_search_trgm")]
        ordering = ["name", "id"]
        verbose_name = _("company or organisation")
        verbose_name_plural = _("companies and organisations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(slug=""),
                name="companies_company_slug_not_empty",
                violation_error_message=_("A record needs a slug."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CompanyKind.values),
                name="companies_company_kind_valid",
                violation_error_message=_("Unknown kind of organisation."),
            ),
            models.CheckConstraint(
                condition=Q(credit_code__isnull=True) | Q(credit_code__regex=CREDIT_CODE_DB_PATTERN),
                name="companies_company_credit_code_format",
                violation_error_message=_(
                    "A unified social credit code has 18 characters from 0-9 and A-Y without I, O, S, V, Z."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="companies_company_not_own_parent",
                violation_error_message=_("A company cannot be its own parent."),
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | (Q(parent_since__isnull=True) & Q(parent_citation__isnull=True)),
                name="companies_company_parent_details_need_parent",
                violation_error_message=_("A parent relation's date and citation need a parent company."),
            ),
            models.CheckConstraint(
                condition=Q(parent_since__isnull=True, parent_since_precision="")
                | Q(parent_since__isnull=False, parent_since_precision__in=DatePrecision.values),
                name="companies_company_parent_since_precision",
                violation_error_message=_("A parent-since date needs its precision, and a precision its date."),
            ),
            date_precision_constraint("companies_company", "parent_since", "parent_since_precision"),
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"),
                name="companies_company_name_not_blank",
                violation_error_message=_("A company needs a name."),
            ),
        ]

    def __str__(self) -> str:
        return local_name(self)

    def clean(self) -> None:
        super().clean()
        if self.credit_code:
            try:
                self.credit_code = validate_credit_code(self.credit_code)
            except CreditCodeError as exc:
                if not (self.credit_code_unverified and exc.code in {"organisation_check", "check_character"}):
                    message = CREDIT_CODE_MESSAGES[exc.code]
                    error = ValidationError(message, code=exc.code, params=exc.params)
                    raise ValidationError({"credit_code": error}) from exc
        if self.parent_id and self.pk and self._parent_chain_contains_self():
            raise ValidationError({"parent": _("A company cannot be its own ancestor.")})

    def _parent_chain_contains_self(self) -> bool:
        seen = set()
        current = self.parent
        while current is not None and current.pk not in seen:
            if current.pk == self.pk:
                return True
            seen.add(current.pk)
            current = current.parent
        return False
