"""Who may do what (issue 5, points 1-2): API tokens, the four roles and the regions an editor answers for.

The role tests run against the article's seed data, which takes half a second to load: each module
loads it once, inside a transaction of its own that is rolled back when the module ends, and every
test runs in a savepoint inside it (pytest-django's `db`), so each test still starts from the same
rows and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import RegionAssignment
from accounts.roles import GROUP_NAMES, Role
from regions.models import Region
from tests.factories import UserFactory


def user_with_role(role: Role, *, regions: tuple[str, ...] = (), **fields):
    """A user in the group of `role`; a regional editor answers for the regions with the `regions` codes."""
    user = UserFactory(username=f"{role.value.replace('_', '-')}-{'-'.join(regions) or 'all'}", **fields)
    user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    for code in regions:
        RegionAssignment.objects.create(user=user, region=Region.objects.get(code=code))
    return user


@contextmanager
def for_the_module(django_db_blocker) -> Iterator[None]:
    """Database writes that last for a module's tests and are rolled back after the last one."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
