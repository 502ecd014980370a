"""Turns a seed document into rows. Filled in by the domain model."""

from __future__ import annotations

from typing import Any


def load_document(document: dict[str, Any], *, report) -> None:
    if document:
        raise ValueError(f"Unknown seed sections: {', '.join(sorted(document))}")
