"""Loading the seed data in `fixtures/`: idempotent, so a second run changes nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


@dataclass
class SeedReport:
    """What one seed run did, per model: rows created, updated and left as they were."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        models = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        parts = [f"{m}: +{self.created[m]} ~{self.updated[m]} ={self.unchanged[m]}" for m in models]
        return "; ".join(parts) if parts else "no seed records"


def seed_files(directory: Path = FIXTURES_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


@transaction.atomic
def seed_load(*, paths: list[Path] | None = None) -> SeedReport:
    """Load every seed file, in name order, in one transaction."""
    from core.seed_loader import load_document

    report = SeedReport()
    for path in seed_files() if paths is None else paths:
        with path.open(encoding="utf-8") as handle:
            document = yaml.safe_load(handle) or {}
        load_document(document, report=report)
    return report
