"""What the reliability tests share."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def staff() -> Client:
    """A superuser signed in to the admin."""
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client
