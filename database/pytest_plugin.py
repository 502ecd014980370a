"""pytest: the embedded PostgreSQL when DATABASE_URL names no server, set before pytest-django reads the settings
(which start no server themselves)."""

from __future__ import annotations

import pytest

from database import devdb


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    devdb.export_url()
