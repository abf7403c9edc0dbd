from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
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


def test_a_direct_client_cannot_pick_its_address_with_a_forged_forwarded_for(user, settings):
    # The shipped default trusts no proxy: X-Forwarded-For is the client's own writing.
    assert settings.TRUSTED_PROXY_COUNT == 0
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}", REMOTE_ADDR="192.0.2.5")
    assert (
        _attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9", REMOTE_ADDR="192.0.2.5") == 429
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.5"}


def _fail_from_many_addresses(settings) -> None:
    """Spread LOGIN_USERNAME_FAILURE_LIMIT failures over addresses, each under axes' limit."""
    per_address = settings.AXES_FAILURE_LIMIT - 1
    for n in range(settings.LOGIN_USERNAME_FAILURE_LIMIT):
        status = _attempt(Client(), "wrong", REMOTE_ADDR=f"198.51.100.{n // per_address}")
        assert status == 200, f"attempt {n} was refused before the username limit"


def test_rotating_addresses_does_not_get_past_the_per_username_limit(user, settings):
    _fail_from_many_addresses(settings)
    logged = AccessFailureLog.objects.count()
    for n in range(5):  # fresh addresses, right or wrong password: refused
        address = f"203.0.113.{n}"
        assert _attempt(Client(), "wrong", REMOTE_ADDR=address) == 429
        response = Client().post(
            reverse(LOGIN),
            {"username": user.username, "password": PASSWORD},
            REMOTE_ADDR=address,
        )
        assert response.status_code == 429
        assert "slowed down" in response.content.decode()
        assert 0 < int(response["Retry-After"]) <= settings.LOGIN_USERNAME_DELAY.total_seconds()
    assert AccessFailureLog.objects.count() == logged  # refusals do not extend the wait


def test_the_owner_gets_in_after_the_short_wait(user, settings):
    _fail_from_many_addresses(settings)
    assert _attempt(Client(), PASSWORD, REMOTE_ADDR="203.0.113.50") == 429
    # Age the failures past the delay (but not out of the window) instead of sleeping.
    past = timezone.now() - settings.LOGIN_USERNAME_DELAY - timedelta(seconds=1)
    AccessFailureLog.objects.update(attempt_time=past)
    assert _attempt(Client(), PASSWORD, REMOTE_ADDR="203.0.113.50") == 302
    # The window still holds the failures: one more wrong guess brings the wait back.
    assert _attempt(Client(), "wrong", REMOTE_ADDR="203.0.113.60") == 200
    assert _attempt(Client(), PASSWORD, REMOTE_ADDR="203.0.113.61") == 429


def test_the_owner_gets_in_at_once_from_an_address_they_signed_in_from(user, settings):
    assert _attempt(Client(), PASSWORD, REMOTE_ADDR="192.0.2.80") == 302
    _fail_from_many_addresses(settings)
    assert _attempt(Client(), PASSWORD, REMOTE_ADDR="203.0.113.7") == 429
    assert _attempt(Client(), PASSWORD, REMOTE_ADDR="192.0.2.80") == 302
