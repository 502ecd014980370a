from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from core.seed import seed_load

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """The environment a child process of the suite (manage.py, gunicorn) needs."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def article(django_db_setup, django_db_blocker):
    """The article's records, loaded once for the module that uses this (each test rolls back its own changes)
    and removed after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_load()
        yield
        transaction.set_rollback(True)
