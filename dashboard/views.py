"""The dashboard: a read-only page whose charts the browser draws from the project summary API.

The server renders the shell only (filter controls, empty charts and tables, the labels in the
active language); `static/dashboard/dashboard.js` asks `/api/v1/projects/summary/` for the numbers,
so the page shows exactly what the API answers, under the API's own read rule.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.models import local_name
from industries.models import Industry
from oversight.services import red_yellow_list
from projects.models import Milestone, ProjectKind, Stage
from regions.models import Region

# Lishui City: the dashboard looks at its counties (GB/T 2260 children of 331100) and zones.
ROOT_REGION = "331100"
# The promotion funnel, in order; on hold and cancelled are the two ways out of it.
FUNNEL = [stage for stage in Stage if stage not in (Stage.ON_HOLD, Stage.CANCELLED)]
EXITS = [Stage.ON_HOLD, Stage.CANCELLED]


def index(request: HttpRequest) -> HttpResponse:
    """The page shell; the region and year chosen (`?region=`, `?year=`) are kept when they are known."""
    # The charts read the API, so the page is open exactly when API reads are.
    if not (settings.API_ANONYMOUS_READS or request.user.is_authenticated):
        return redirect_to_login(request.get_full_path())

    root = Region.objects.filter(code=ROOT_REGION).first()
    children = list(root.children.order_by("code", "id")) if root else []
    years = [
        str(day.year)
        for day in Milestone.objects.filter(is_planned=False, project__kind=ProjectKind.PROJECT).dates(
            "date", "year", order="DESC"
        )
    ]
    region_codes = {region.code for region in [root, *children] if region}
    asked_region, asked_year = request.GET.get("region", ""), request.GET.get("year", "")
    region = asked_region if asked_region in region_codes else (root.code if root else "")
    year = asked_year if asked_year in years else ""
    # A region or year the page cannot show is said, not silently replaced by the whole city.
    refused = []
    if asked_region and asked_region != region:
        refused.append(_("The region %(code)s is not one this dashboard shows.") % {"code": asked_region})
    if asked_year and asked_year != year:
        refused.append(_("No project reached a step of the funnel in %(year)s.") % {"year": asked_year})

    config = {
        "summaryUrl": reverse("api:project-summary"),
        "funnel": [str(stage) for stage in FUNNEL],
        "exits": [str(stage) for stage in EXITS],
        "labels": {
            "region": _region_labels(root),
            "industry": {
                industry.code: local_name(industry)
                for industry in Industry.objects.filter(parent__isnull=True).order_by("code")
            },
            "status": {str(stage): str(stage.label) for stage in Stage},
        },
        "text": {
            "directly": _("%(name)s (directly)"),
            "noIndustry": _("No industry recorded"),
            "total": _("All projects"),
            "loading": _("Loading…"),
            "error": _("The figures could not be loaded (%(status)s)."),
            "empty": _("No projects match these filters."),
            "chartTitle": _("%(chart)s: planned investment per group, in 亿元"),
        },
    }
    context = {
        "root": root,
        "root_name": local_name(root) if root else "",
        "children": [(child.code, local_name(child)) for child in children],
        "years": years,
        "selected_region": region,
        "selected_year": year,
        "refused": refused,
        "dashboard_config": config,
        "charts": [
            {
                "name": "region",
                "group_by": "region",
                "title": _("Investment by region"),
                "column": _("Region"),
                "caption": _("Projects and planned investment per region"),
                "note": "",
            },
            {
                "name": "industry",
                "group_by": "industry",
                "title": _("Investment by industry"),
                "column": _("Industry"),
                "caption": _("Projects and planned investment per industry"),
                "note": _("A project filed under several industries counts under each of them."),
            },
            {
                "name": "stage",
                "group_by": "status",
                "title": _("Investment by stage"),
                "column": _("Stage"),
                "caption": _("Projects and planned investment per stage, in funnel order"),
                "note": _("On hold and cancelled projects are listed in the table, below the funnel."),
            },
        ],
    }
    # The red/yellow list names projects the bureau worries about: for those who may read the warnings.
    if request.user.is_authenticated or settings.API_ANONYMOUS_WARNINGS:
        context["warnings"] = red_yellow_list(region_code=region)
    return render(request, "dashboard/index.html", context)


def _region_labels(root: Region | None) -> dict[str, str]:
    """Names of the regions a region chart can show: the root, its children and theirs."""
    if root is None:
        return {}
    regions = Region.objects.filter(Q(pk=root.pk) | Q(parent=root) | Q(parent__parent=root))
    return {region.code: local_name(region) for region in regions}
