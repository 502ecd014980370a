"""Turns a seed document (see fixtures/lishui.yaml) into rows, idempotently.

Each record is found by its natural key (a region's code, a project's slug, a milestone's project,
stage and kind) and only written when something differs, so loading twice changes nothing. Every
row goes through `full_clean()`: seed data obeys the same rules as data entered by staff.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models

from companies.models import Company
from figures.models import Figure
from indicators.models import Indicator, Observation
from industries.models import Industry
from projects.models import FundsInPlace, Milestone, Participant, Project
from regions.models import Region
from sources.models import Citation, Source

if TYPE_CHECKING:
    from core.seed import SeedReport

SECTIONS = ("sources", "regions", "industries", "companies", "projects", "indicators", "observations")


class SeedError(ValueError):
    """The seed document is malformed; the message says where."""


class Loader:
    def __init__(self, report: SeedReport, default_source: str | None) -> None:
        self.report = report
        self.default_source = default_source

    # -- generic --------------------------------------------------------------------------------

    def upsert(self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> models.Model:
        label = model._meta.label
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.full_clean()
            obj.save()
            self.report.created[label] += 1
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.full_clean()
            obj.save()
            self.report.updated[label] += 1
        else:
            self.report.unchanged[label] += 1
        return obj

    def set_m2m(self, obj: models.Model, field: str, targets: list[models.Model]) -> None:
        manager = getattr(obj, field)
        if set(manager.values_list("pk", flat=True)) != {t.pk for t in targets}:
            manager.set(targets)
            self.report.updated[f"{obj._meta.label}.{field}"] += 1

    def cite(self, spec: dict[str, Any] | None) -> Citation | None:
        if not spec:
            return None
        slug = spec.get("source", self.default_source)
        if slug is None:
            raise SeedError(f"citation {spec!r} names no source and the document has no single default")
        source = Source.objects.get(slug=slug)
        locator = spec.get("locator") or f"L{spec['line']}"
        return self.upsert(Citation, {"source": source, "locator": locator, "quote": spec["quote"].strip()}, {})

    # -- sections -------------------------------------------------------------------------------

    def sources(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row = dict(row)
            published = row.pop("published_on", None)
            row.pop("file", None)  # the local copy of the document, read by the provenance tests
            self.upsert(
                Source,
                {"slug": row.pop("slug")},
                {
                    "title": row["title"],
                    "publisher": row.get("publisher", ""),
                    "url": row.get("url", ""),
                    "published_on": _date(published),
                    "kind": row.get("kind", "news_article"),
                    "language": row.get("language", "en"),
                    "notes": row.get("notes", ""),
                },
            )

    def regions(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            parent = Region.objects.get(code=str(row["parent"])) if row.get("parent") else None
            self.upsert(
                Region,
                {"code": str(row["code"])},
                {
                    "name": row["name"],
                    "name_zh": row.get("name_zh", ""),
                    "aliases": list(row.get("aliases", [])),
                    "level": row["level"],
                    "parent": parent,
                },
            )

    def industries(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            parent = Industry.objects.get(code=row["parent"]) if row.get("parent") else None
            self.upsert(
                Industry,
                {"code": row["code"]},
                {
                    "name": row["name"],
                    "name_zh": row.get("name_zh", ""),
                    "aliases": list(row.get("aliases", [])),
                    "scheme": row["scheme"],
                    "parent": parent,
                    "description": row.get("description", ""),
                },
            )

    def companies(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            parent_spec = row.get("parent") or {}
            values = {
                "name": row["name"],
                "name_zh": row.get("name_zh", ""),
                "aliases": list(row.get("aliases", [])),
                "kind": row["kind"],
                "credit_code": row.get("credit_code"),
                "credit_code_unverified": row.get("credit_code_unverified", False),
                "headquarters": Region.objects.get(code=str(row["headquarters"])) if row.get("headquarters") else None,
                "parent": Company.objects.get(slug=parent_spec["company"]) if parent_spec else None,
                "parent_since": _date(parent_spec.get("since")),
                "parent_since_precision": parent_spec.get("precision", ""),
                "parent_citation": self.cite(parent_spec.get("cite")),
                "stock_code": row.get("stock_code", ""),
                "website": row.get("website", ""),
                "description": (row.get("description") or "").strip(),
            }
            company = self.upsert(Company, {"slug": row["slug"]}, values)
            self.set_m2m(company, "industries", [Industry.objects.get(code=c) for c in row.get("industries", [])])
            for figure in row.get("figures", []):
                self.figure({"company": company}, figure)

    def projects(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            investment = row.get("investment") or {}
            values = {
                "name": row["name"],
                "name_zh": row.get("name_zh", ""),
                "aliases": list(row.get("aliases", [])),
                "kind": row.get("kind", "project"),
                "programme": Project.objects.get(slug=row["programme"]) if row.get("programme") else None,
                "description": (row.get("description") or "").strip(),
                "region": Region.objects.get(code=str(row["region"])),
                "stage": row["stage"],
                "stage_reason": row.get("stage_reason", ""),
                "planned_investment": _decimal(investment.get("amount")),
                "currency": investment.get("currency", "CNY"),
                "investment_qualifier": investment.get("qualifier", ""),
                "investment_citation": self.cite(investment.get("cite")),
            }
            project = self.upsert(Project, {"slug": row["slug"]}, values)
            self.set_m2m(project, "industries", [Industry.objects.get(code=c) for c in row.get("industries", [])])
            for milestone in row.get("milestones", []):
                self.upsert(
                    Milestone,
                    {"project": project, "stage": milestone["stage"], "is_planned": milestone.get("planned", False)},
                    {
                        "date": _date(milestone["date"]),
                        "date_precision": milestone.get("precision", "day"),
                        "note": milestone.get("note", ""),
                        "citation": self.cite(milestone.get("cite")),
                    },
                )
            for funds in row.get("funds_in_place", []):
                self.upsert(
                    FundsInPlace,
                    {
                        "project": project,
                        "as_of": _date(funds["as_of"]),
                        "as_of_precision": funds.get("precision", "day"),
                    },
                    {
                        "amount": _decimal(funds["amount"]),
                        "currency": funds.get("currency", "CNY"),
                        "qualifier": funds.get("qualifier", "exact"),
                        "citation": self.cite(funds.get("cite")),
                    },
                )
            for participant in row.get("participants", []):
                self.upsert(
                    Participant,
                    {
                        "project": project,
                        "company": Company.objects.get(slug=participant["company"]),
                        "role": participant["role"],
                    },
                    {
                        "share": _decimal(participant.get("share")),
                        "note": participant.get("note", ""),
                        "citation": self.cite(participant.get("cite")),
                    },
                )
            for figure in row.get("figures", []):
                self.figure({"project": project}, figure)

    def figure(self, subject: dict[str, Any], row: dict[str, Any]) -> None:
        self.upsert(
            Figure,
            {**subject, "metric": row["metric"], "period": str(row["period"]), "label": row.get("label", "")},
            {
                "value": _decimal(row["value"]),
                "unit": row["unit"],
                "qualifier": row.get("qualifier", "exact"),
                "is_estimated": row.get("is_estimated", False),
                "is_derived": row.get("is_derived", False),
                "formula": row.get("formula", ""),
                "citation": self.cite(row.get("cite")),
            },
        )

    def indicators(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.upsert(
                Indicator,
                {"code": row["code"]},
                {
                    "name": row["name"],
                    "name_zh": row.get("name_zh", ""),
                    "unit": row["unit"],
                    "description": row.get("description", ""),
                },
            )

    def observations(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.upsert(
                Observation,
                {
                    "region": Region.objects.get(code=str(row["region"])),
                    "indicator": Indicator.objects.get(code=row["indicator"]),
                    "period": str(row["period"]),
                },
                {
                    "value": _decimal(row["value"]),
                    "qualifier": row.get("qualifier", "exact"),
                    "rank_text": row.get("rank_text", ""),
                    "is_derived": row.get("is_derived", False),
                    "formula": row.get("formula", ""),
                    "citation": self.cite(row.get("cite")),
                },
            )


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        # YAML turned an unquoted number into a float: refuse rather than carry its error along.
        raise SeedError(f"write money and figures as quoted strings, not {value!r}")
    return Decimal(str(value))


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_document(document: dict[str, Any], *, report: SeedReport) -> None:
    unknown = set(document) - set(SECTIONS)
    if unknown:
        raise SeedError(f"Unknown seed sections: {', '.join(sorted(unknown))}")
    source_slugs = [row["slug"] for row in document.get("sources", [])]
    loader = Loader(report, source_slugs[0] if len(source_slugs) == 1 else None)
    for section in SECTIONS:
        if document.get(section):
            getattr(loader, section)(document[section])
