"""`/api/v1/export/oc4ids/`: the projects of the list's filters as one OC4IDS project package, streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation

from api.filters import TrackerFilterBackend
from api.renderers import JSONRenderer
from api.viewsets import refuse_unknown_parameters
from exports.oc4ids import VERSION, project_package
from projects.filters import ProjectFilterSet
from projects.models import Project

UNKNOWN_PARAMETER = _("This export reads no such parameter; it reads: %(accepted)s.")

PACKAGE_EXAMPLE = {
    "uri": "https://tracker.example.cn/api/v1/export/oc4ids/?region=331181",
    "publisher": {"name": "Lishui Investment Promotion Bureau"},
    "publishedDate": "2024-08-01T09:30:00+08:00",
    "version": VERSION,
    "projects": [
        {
            "id": "oc4ids-xxxxxx-1",
            "title": "Kelun high-end preparation and health food project",
            "status": "preparation",
            "budget": {
                "amount": {"amount": 2000000000.00, "currency": "CNY"},
                "description": "Planned total investment (总投资): exactly 2,000,000,000.00 CNY.",
            },
            "locations": [
                {"id": "331181", "gazetteer": {"scheme": "GB/T 2260", "identifiers": ["331181"]}},
            ],
            "parties": [
                {
                    "id": "company-2",
                    "name": "Sichuan Kelun Pharmaceutical Co., Ltd.",
                    "roles": ["funder"],
                }
            ],
        }
    ],
}


class JSONOnly(BaseContentNegotiation):
    """The package is JSON whatever the client accepts; `?format=` is an unknown parameter like any other."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


class OC4IDSExportView(GenericAPIView):
    """Projects as an OC4IDS 0.9 project package (Open Contracting for Infrastructure Data Standard), for the
    open-data publishers and researchers who read that standard, with the project list's filters and its
    permissions. The package is streamed: any number of projects in constant memory and a fixed number of
    queries. Stages map to OC4IDS statuses, planned investment to the budget (a bound such as "more than 1
    billion" stays in the description, never an amount), funds in place to the financial progress metric,
    participants to parties (credit codes as CN-USCC identifiers), industries to classifications, regions to
    locations with GB/T 2260 codes, citations to documents (docs/oc4ids.md). Unlike the lists there is no page
    and no CSV. With no project matching, `projects` is empty, which the standard's schema does not allow for a
    published package: filter to at least one project before publishing."""

    queryset = Project.objects.all()
    filterset_class = ProjectFilterSet
    filter_backends = [TrackerFilterBackend]
    pagination_class = None
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    @extend_schema(
        operation_id="export_oc4ids",
        summary="Export projects as an OC4IDS project package",
        filters=True,
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="An OC4IDS 0.9 project package (project-package-schema.json of OC4IDS 0.9.5).",
                examples=[
                    OpenApiExample(
                        "Projects in Longquan",
                        value=PACKAGE_EXAMPLE,
                        response_only=True,
                        description="Shortened.",
                    )
                ],
            )
        },
    )
    def get(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, list(self.filterset_class.base_filters), UNKNOWN_PARAMETER)
        queryset = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(
            project_package(queryset, uri=request.build_absolute_uri()), content_type="application/json"
        )
        response["Content-Disposition"] = 'inline; filename="oc4ids-project-package.json"'
        return response
