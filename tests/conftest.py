"""Fixtures shared by every test package: personas, Redis, settings for tests."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connections
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import Household, Membership, Role
from tests.factories import HouseholdFactory, MembershipFactory

pytest_plugins = ["tests.fixtures.order", "tests.fixtures.redis", "tests.fixtures.cloud"]


@pytest.fixture(autouse=True, scope="session")
def _test_settings() -> Iterator[None]:
    """Pages render without collectstatic; passwords hash fast (the hasher is not under test)."""
    from django.test import override_settings

    storages = {**settings.STORAGES}
    storages["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(STORAGES=storages, PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(autouse=True)
def _close_connections_of_async_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """ORM work of an async test runs in asgiref's one sync thread, whose connection outlives
    the test: close it, or PostgreSQL cannot drop the test database at the end of the run."""
    yield
    if inspect.iscoroutinefunction(request.function):
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


@dataclass
class Persona:
    """A signed-in browser for one user, with their membership (None for outsiders' view)."""

    membership: Membership
    client: Client

    @property
    def user(self):  # type: ignore[no-untyped-def]
        return self.membership.user

    @property
    def household(self) -> Household:
        return self.membership.household


def _persona(household: Household, role: str) -> Persona:
    membership = MembershipFactory(household=household, role=role)
    client = Client()
    client.force_login(membership.user)
    return Persona(membership, client)


@pytest.fixture
def household(db) -> Household:  # type: ignore[no-untyped-def]
    return HouseholdFactory(name="The Smiths")


@pytest.fixture
def owner(household: Household) -> Persona:
    return _persona(household, Role.OWNER)


@pytest.fixture
def admin(household: Household) -> Persona:
    return _persona(household, Role.ADMIN)


@pytest.fixture
def member(household: Household) -> Persona:
    return _persona(household, Role.MEMBER)


@pytest.fixture
def guest(household: Household) -> Persona:
    return _persona(household, Role.GUEST)


@pytest.fixture
def outsider(db) -> Persona:  # type: ignore[no-untyped-def]
    """The owner of another household: sees nothing of ours."""
    return _persona(HouseholdFactory(name="The Joneses"), Role.OWNER)


@pytest.fixture
def unscoped() -> Iterator[None]:
    """Tests that inspect the database directly do it outside any household scope."""
    with scopes_disabled():
        yield


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
