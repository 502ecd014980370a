from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    """What an investment agreement promised (履约承诺), what the firm delivered, and whether that kept the promise."""

    name = "commitments"
    verbose_name = _("Commitments")
