from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FiguresConfig(AppConfig):
    """Numbers a source states about a project or a company, each with its period and citation."""

    name = "figures"
    verbose_name = _("Figures")
