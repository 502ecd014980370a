"""Projects as an OC4IDS 0.9 project package (issue 23, item 3; docs/oc4ids.md says why each mapping is so).

`project_package` streams the package as JSON text: the header, then one project at a time read in chunks
through a server-side cursor with its related rows prefetched per chunk, so neither memory nor the number
of queries grows with the number of projects. Money is written from its Decimal, digit for digit, as a JSON
number (never through a float); a bound ("more than 1 billion") is never written as an amount.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import orjson
from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation

from companies.models import CompanyKind
from core.choices import BOUND_QUALIFIERS, DatePrecision, Qualifier
from core.dates import format_partial_date, partial_date_bounds
from projects.models import STAGE_RANK, FundsInPlace, Milestone, Participant, ParticipantRole, Project, Stage
from regions.models import INTERNAL_LEVELS

VERSION = "0.9"
# Projects read from the database per round trip; each chunk costs one query per prefetch.
CHUNK_SIZE = 500
FLUSH_SIZE = 64 * 1024

# The tracker's stages as OC4IDS project statuses (the closed projectStatus codelist). A project on hold takes
# the status of the furthest stage an actual milestone reached (identification without one); its description
# says it is on hold and why.
STATUS = {
    Stage.CONCEIVED: "identification",
    Stage.NEGOTIATING: "identification",
    Stage.SIGNED: "preparation",
    Stage.LANDED: "preparation",
    Stage.CONSTRUCTION_STARTED: "implementation",
    Stage.IN_PRODUCTION: "completion",
    Stage.AT_CAPACITY: "maintenance",
    Stage.CANCELLED: "cancelled",
}

# A milestone's stage as an OC4IDS milestone type (milestoneType codelist) and, where one fits, code
# (milestoneCode codelist).
MILESTONE_TYPE = {
    Stage.CONCEIVED: ("preProcurement", None),
    Stage.NEGOTIATING: ("engagement", None),
    Stage.SIGNED: ("approval", "commercialClose"),
    Stage.LANDED: ("approval", "projectApproval"),
    Stage.CONSTRUCTION_STARTED: ("delivery", "commencement"),
    Stage.IN_PRODUCTION: ("delivery", "commissioning"),
    Stage.AT_CAPACITY: ("delivery", None),
    Stage.ON_HOLD: ("reporting", None),
    Stage.CANCELLED: ("reporting", None),
}

# A participant's role as OC4IDS party roles (partyRole codelist). A promoting agency that is a government
# body or a platform (the bureau, a zone's management committee) is the public authority.
ROLES = {
    ParticipantRole.LEAD_INVESTOR: "funder",
    ParticipantRole.INVESTOR: "funder",
    ParticipantRole.OPERATOR: "interestedParty",
    ParticipantRole.PARTNER: "interestedParty",
    ParticipantRole.PROMOTING_AGENCY: "interestedParty",
}
PUBLIC_AUTHORITY_KINDS = (CompanyKind.GOVERNMENT, CompanyKind.PLATFORM)

# Schemes outside the standard's open codelists, used where none of theirs fits (docs/oc4ids.md).
GAZETTEER_SCHEME = "GB/T 2260"
INDUSTRY_SCHEMES = {"gbt4754": "GB/T 4754-2017", "chain": "CN-LOCAL-INDUSTRY-CHAIN"}
# The organisation identifier scheme of the unified social credit code (org-id.guide: CN-USCC).
CREDIT_CODE_SCHEME = "CN-USCC"
IDENTIFIER_SCHEME = "tracker-slug"
# The national project code of the investment project online approval platform (项目代码, GB/T 40058-2021).
NATIONAL_CODE_SCHEME = "CN-NATIONAL-PROJECT-CODE"

QUALIFIER_WORDS = {
    Qualifier.EXACT: "exactly",
    Qualifier.ABOUT: "about",
    Qualifier.MORE_THAN: "more than",
    Qualifier.AT_LEAST: "at least",
    Qualifier.LESS_THAN: "less than",
}


def export_queryset(queryset: QuerySet[Project]) -> QuerySet[Project]:
    """`queryset` with everything the mapping reads, joined or prefetched (one query per prefetch and chunk)."""
    citation = "citation__source"
    return (
        queryset.select_related("region", "programme", "investment_citation__source")
        .prefetch_related(
            "industries",
            Prefetch("participants", Participant.objects.select_related("company", citation).order_by("role", "id")),
            Prefetch("milestones", Milestone.objects.select_related(citation).order_by("date", "id")),
            Prefetch("funds_in_place", FundsInPlace.objects.select_related(citation).order_by("as_of", "id")),
        )
        .order_by("id")
    )


def project_package(queryset: QuerySet[Project], *, uri: str) -> Iterator[bytes]:
    """The package for `queryset`'s projects, as blocks of JSON text."""
    header = package_header(uri)
    head = orjson.dumps(header)[:-1] + b',"projects":['
    buffer = bytearray(head)
    first = True
    with translation.override("en"):
        for project in export_queryset(queryset).iterator(chunk_size=CHUNK_SIZE):
            if not first:
                buffer += b","
            buffer += dumps(project_release(project))
            first = False
            # Each chunk is freed as soon as it is written (a prefetch cache refers back to its record).
            project.__dict__.pop("_prefetched_objects_cache", None)
            if len(buffer) >= FLUSH_SIZE:
                yield bytes(buffer)
                buffer.clear()
    buffer += b"]}"
    yield bytes(buffer)


def package_header(uri: str) -> dict[str, Any]:
    publisher: dict[str, Any] = {"name": settings.OC4IDS_PUBLISHER_NAME}
    for key, value in (
        ("scheme", settings.OC4IDS_PUBLISHER_SCHEME),
        ("uid", settings.OC4IDS_PUBLISHER_UID),
        ("uri", settings.OC4IDS_PUBLISHER_URI),
    ):
        if value:
            publisher[key] = value
    header: dict[str, Any] = {
        "uri": uri,
        "publisher": publisher,
        "publishedDate": date_time(timezone.now()),
        "version": VERSION,
    }
    if settings.OC4IDS_LICENSE:
        header["license"] = settings.OC4IDS_LICENSE
    if settings.OC4IDS_PUBLICATION_POLICY:
        header["publicationPolicy"] = settings.OC4IDS_PUBLICATION_POLICY
    return header


def project_id(pk: int) -> str:
    return f"{settings.OC4IDS_PREFIX}{pk}"


def project_release(project: Project) -> dict[str, Any]:
    """One project as an OC4IDS project."""
    participants = list(project.participants.all())
    milestones = list(project.milestones.all())
    funds = list(project.funds_in_place.all())
    data: dict[str, Any] = {
        "id": project_id(project.pk),
        "updated": date_time(project.updated_at),
        "language": "en",
        "identifiers": [
            {"id": project.slug, "scheme": IDENTIFIER_SCHEME},
            *([{"id": project.national_code, "scheme": NATIONAL_CODE_SCHEME}] if project.national_code else []),
        ],
        "title": project.name,
        "description": project_description(project, milestones),
        "status": project_status(project, milestones),
    }
    parties = parties_of(participants)
    authority = next((party for party in parties if "publicAuthority" in party["roles"]), None)
    if authority is not None:
        data["publicAuthority"] = {"id": authority["id"], "name": authority["name"]}
    budget = budget_of(project)
    if budget:
        data["budget"] = budget
    data["locations"] = [location_of(project.region)]
    industries = sorted(project.industries.all(), key=lambda industry: industry.code)
    if industries:
        data["additionalClassifications"] = [classification_of(industry) for industry in industries]
    if parties:
        data["parties"] = parties
    if milestones:
        data["milestones"] = [milestone_of(milestone) for milestone in milestones]
    if funds:
        data["metrics"] = [funds_metric(funds)]
    documents = documents_of(project, participants, milestones, funds)
    if documents:
        data["documents"] = documents
    return data


def project_status(project: Project, milestones: list[Milestone]) -> str:
    if project.stage != Stage.ON_HOLD:
        return STATUS[Stage(project.stage)]
    reached = [m.stage for m in milestones if not m.is_planned and m.stage in STAGE_RANK]
    furthest = max(reached, key=STAGE_RANK.__getitem__, default=Stage.CONCEIVED)
    return STATUS[Stage(furthest)]


def project_description(project: Project, milestones: list[Milestone]) -> str:
    parts = [project.description.strip()] if project.description.strip() else []
    if project.name_zh:
        parts.append(f"Chinese name: {project.name_zh}.")
    parts.append(f"Stage in the tracker: {Stage(project.stage).label}.")
    if project.stage_reason.strip():
        parts.append(f"Reason: {project.stage_reason.strip()}")
    if project.kind == Project.Kind.PROGRAMME:
        parts.append("A programme or cluster of projects, not a single project.")
        if states_total(project):
            parts.append("Its stated total includes the amounts of its projects: do not add theirs to it.")
    if project.programme_id:
        programme = project.programme
        parts.append(f"Part of the programme {programme.name} ({project_id(programme.pk)}).")
        if states_total(programme):
            parts.append("The programme's stated total includes this project's amount: do not add both.")
    return " ".join(parts)


def states_total(project: Project) -> bool:
    """A programme whose total the source states exactly (projects.models.states_its_total, for one record)."""
    return (
        project.kind == Project.Kind.PROGRAMME
        and project.investment_qualifier == Qualifier.EXACT
        and project.planned_investment is not None
    )


def amount_text(amount: Decimal, currency: str, qualifier: str) -> str:
    word = QUALIFIER_WORDS.get(qualifier, "")
    return f"{word} {amount:,.2f} {currency}".strip()


def value_of(amount: Decimal | None, currency: str, qualifier: str) -> dict[str, Any] | None:
    """An OC4IDS Value, only when the amount is the value (exact or about): a bound is no amount."""
    if amount is None or qualifier in BOUND_QUALIFIERS:
        return None
    return {"amount": amount, "currency": currency}


def budget_of(project: Project) -> dict[str, Any] | None:
    amount, qualifier = project.planned_investment, project.investment_qualifier or Qualifier.EXACT
    if amount is None:
        return None
    budget: dict[str, Any] = {}
    value = value_of(amount, project.currency, qualifier)
    if value is not None:
        budget["amount"] = value
    text = f"Planned total investment (总投资): {amount_text(amount, project.currency, qualifier)}."
    if qualifier in BOUND_QUALIFIERS:
        text += " The source states a bound, not the amount, so no amount is given."
    elif qualifier == Qualifier.ABOUT:
        text += " The source gives an approximate amount."
    budget["description"] = text
    return budget


def location_of(region) -> dict[str, Any]:
    """The project's region: its GB/T 2260 code in the gazetteer (a zone's or block's own code is internal, so the
    gazetteer names the administrative division it lies in, the part of its code before the hyphen)."""
    official = region.code.split("-", 1)[0] if region.level in INTERNAL_LEVELS else region.code
    name = f"{region.name} ({region.name_zh})" if region.name_zh else region.name
    description = f"{name}, {region.get_level_display()}"
    if official != region.code:
        description += f", internal code {region.code}, in the division {official}"
    location: dict[str, Any] = {"id": region.code, "description": description}
    if official.isdigit():
        location["gazetteer"] = {"scheme": GAZETTEER_SCHEME, "identifiers": [official]}
    return location


def classification_of(industry) -> dict[str, Any]:
    name = f"{industry.name} ({industry.name_zh})" if industry.name_zh else industry.name
    return {"scheme": INDUSTRY_SCHEMES.get(industry.scheme, industry.scheme), "id": industry.code, "description": name}


def party_id(company) -> str:
    if company.credit_code:
        return f"{CREDIT_CODE_SCHEME}-{company.credit_code}"
    return f"company-{company.pk}"


def parties_of(participants: list[Participant]) -> list[dict[str, Any]]:
    """One party per company, with every role it plays in the project."""
    parties: dict[int, dict[str, Any]] = {}
    for participant in participants:
        company = participant.company
        party = parties.get(company.pk)
        if party is None:
            party = {"id": party_id(company), "name": company.name, "roles": []}
            if company.credit_code:
                party["identifier"] = {
                    "scheme": CREDIT_CODE_SCHEME,
                    "id": company.credit_code,
                    "legalName": company.name_zh or company.name,
                }
            parties[company.pk] = party
        role = ROLES[ParticipantRole(participant.role)]
        if participant.role == ParticipantRole.PROMOTING_AGENCY and company.kind in PUBLIC_AUTHORITY_KINDS:
            role = "publicAuthority"
        if role not in party["roles"]:
            party["roles"].append(role)
    return list(parties.values())


def milestone_of(milestone: Milestone) -> dict[str, Any]:
    kind, code = MILESTONE_TYPE[Stage(milestone.stage)]
    precision = milestone.date_precision or DatePrecision.DAY
    typed = format_partial_date(milestone.date, precision)
    when = "planned for" if milestone.is_planned else "reached"
    description = f"{Stage(milestone.stage).label} {when} {typed} (known to the {precision}"
    description += "; the date given is the first day of that period)." if precision != DatePrecision.DAY else ")."
    if milestone.note.strip():
        description += f" {milestone.note.strip()}"
    data: dict[str, Any] = {
        "id": str(milestone.pk),
        "title": str(Stage(milestone.stage).label),
        "type": kind,
        "description": description,
    }
    if code:
        data["code"] = code
    if milestone.is_planned:
        data["status"] = "scheduled"
        data["dueDate"] = date_time(milestone.date)
    else:
        data["status"] = "met"
        data["dateMet"] = date_time(milestone.date)
    return data


def funds_metric(funds: list[FundsInPlace]) -> dict[str, Any]:
    """Funds in place (cumulative money arrived by a date) as the financial progress metric, one observation per
    figure: the period is the one the date is known to, the notes say it is cumulative and how it is qualified."""
    observations = []
    for figure in funds:
        precision = figure.as_of_precision or DatePrecision.DAY
        first, last = partial_date_bounds(figure.as_of, precision)
        text = amount_text(figure.amount, figure.currency, figure.qualifier)
        notes = f"Cumulative funds in place by {format_partial_date(figure.as_of, precision)}: {text}"
        notes += f" (date known to the {precision})."
        if figure.qualifier in BOUND_QUALIFIERS:
            notes += " The source states a bound, not the amount, so no value is given."
        observation: dict[str, Any] = {
            "id": str(figure.pk),
            "period": {"startDate": date_time(first), "endDate": date_time(last)},
            "notes": notes,
        }
        value = value_of(figure.amount, figure.currency, figure.qualifier)
        if value is not None:
            observation["value"] = value
        observations.append(observation)
    return {
        "id": "financialProgress",
        "title": "Funds in place (到位资金)",
        "description": "Money actually arrived for the project, cumulative up to each period.",
        "observations": observations,
    }


def documents_of(project, participants, milestones, funds) -> list[dict[str, Any]]:
    """Each citation behind the project's figures, once: the source's title and address, the quoted sentence."""
    citations = {}
    for citation in (
        project.investment_citation,
        *(participant.citation for participant in participants),
        *(milestone.citation for milestone in milestones),
        *(figure.citation for figure in funds),
    ):
        if citation is not None:
            citations.setdefault(citation.pk, citation)
    return [document_of(citations[pk]) for pk in sorted(citations)]


def document_of(citation) -> dict[str, Any]:
    source = citation.source
    document: dict[str, Any] = {
        "id": f"citation-{citation.pk}",
        "title": source.title,
        "description": f"{citation.locator}: {citation.quote}",
    }
    if source.url:
        document["url"] = source.url
    if source.published_on:
        document["datePublished"] = date_time(source.published_on)
    if source.language:
        document["language"] = source.language
    return document


def date_time(value: datetime.date | datetime.datetime) -> str:
    """An RFC 3339 date-time: a date is its first moment in the tracker's time zone."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time(), tzinfo=timezone.get_default_timezone())
    return timezone.localtime(value).isoformat(timespec="seconds")


def _decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(value)
        # The digits themselves, as a JSON number: 2000000000.00 stays 2000000000.00, never 2e9 or a float.
        return orjson.Fragment(format(value, "f").encode())
    return str(value)  # lazy translations


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_decimal)
