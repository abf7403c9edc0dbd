from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

LOGIN = "accounts:login"


def _attempt(client: Client, password: str, **headers: str) -> int:
    data = {"username": "locked@example.com", "password": password}
    return client.post(reverse(LOGIN), data, **headers).status_code


@pytest.fixture
def user(db):
    return UserFactory(email="locked@example.com")


def test_repeated_failures_lock_the_account_even_with_the_right_password(user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "wrong") == 200  # the form again, with an error
    assert _attempt(client, "wrong") == 429
    response = client.post(reverse(LOGIN), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_expires(user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "wrong")
    assert _attempt(client, PASSWORD) == 429
    # Age the failures past the cool-off period instead of sleeping through it.
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _attempt(client, PASSWORD) == 302


def test_a_successful_sign_in_resets_the_failure_count(user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "wrong")
    assert _attempt(client, PASSWORD) == 302
    client.post(reverse("accounts:logout"))
    assert _attempt(client, "wrong") == 200


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_a_forged_forwarded_for_does_not_escape_the_lockout(user, settings):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The client forges a new left-most address each time; the proxy appends the real one.
        forged = {"HTTP_X_FORWARDED_FOR": f"10.0.0.{n}, 203.0.113.7"}
        _attempt(client, "wrong", **forged)
    assert _attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7") == 429
    # Another real client (another address appended by the proxy) is not locked out.
    assert _attempt(Client(), PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1") == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
