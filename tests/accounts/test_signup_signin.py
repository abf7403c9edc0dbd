import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Household, Membership, Role
from accounts.views import SIGNUP_DONE
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a long safe passphrase"


@pytest.fixture
def open_signup(settings):
    settings.SIGNUP_MODE = "open"


def _sign_up(client, email: str, password: str = NEW_PASSWORD, query: str = "", **meta: str):
    data = {"email": email, "password": password, "household_name": "Ann's"}
    return client.post(reverse("accounts:signup") + query, data, **meta)


def test_sign_up_creates_user_and_household_as_owner_then_asks_to_sign_in(client, db, open_signup):
    response = _sign_up(client, "Ann@Example.com")
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    user = get_user_model().objects.get(username="ann@example.com")
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.household.name == "Ann's"
    login_page = client.get(response.url)
    assert SIGNUP_DONE.split(".")[0] in login_page.content.decode()
    assert login_page.context["form"].initial["username"] == "ann@example.com"
    client.post(response.url, {"username": "ann@example.com", "password": NEW_PASSWORD})
    page = client.get(reverse("dashboard:home"))
    assert page.status_code == 200
    assert "Ann&#x27;s" in page.content.decode()


def test_sign_up_rejects_bad_input_with_field_errors_and_keeps_nothing(client, db, open_signup):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "not-an-email", "password": "123", "household_name": ""},
    )
    assert response.status_code == 200  # form errors answer 200, as Django's own forms do
    form = response.context["form"]
    assert set(form.errors) == {"email", "password", "household_name"}
    assert get_user_model().objects.count() == 0


def test_sign_up_with_an_existing_email_answers_like_a_new_one_and_changes_nothing(
    client, db, open_signup
):
    taken = UserFactory(email="taken@example.com")
    new = _sign_up(client, "fresh@example.com")
    existing = _sign_up(client, "TAKEN@example.com")
    assert (existing.status_code, existing.url) == (new.status_code, new.url)
    page = client.get(existing.url).content.decode()
    assert "already exists" not in page
    assert SIGNUP_DONE.split(".")[0] in page
    taken.refresh_from_db()
    assert taken.check_password(PASSWORD)
    with scopes_disabled():
        assert not Membership.objects.filter(user=taken).exists()
    assert Household.objects.count() == 1  # only fresh@'s


def test_invite_only_mode_refuses_open_sign_up_with_a_sentence(client, db, settings):
    settings.SIGNUP_MODE = "invite-only"
    page = client.get(reverse("accounts:signup"))
    assert page.status_code == 200
    assert "by invitation only" in page.content.decode()
    refused = _sign_up(client, "ann@example.com")
    assert refused.status_code == 403
    assert "by invitation only" in refused.content.decode()
    assert not get_user_model().objects.exists()
    assert "Create a household" not in client.get(reverse("accounts:login")).content.decode()


def test_closed_mode_refuses_every_sign_up(client, db, settings):
    settings.SIGNUP_MODE = "closed"
    assert _sign_up(client, "ann@example.com").status_code == 403
    assert "administrator" in client.get(reverse("accounts:signup")).content.decode()
    assert not get_user_model().objects.exists()


def _signup_mode_with(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess[str]:
    """SIGNUP_MODE as a fresh process reads it from `env` (and nothing else of ours)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO", "DATABASE", "REDIS", "SIGNUP"))
    }
    clean |= {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "dashboard.settings"} | env
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SIGNUP_MODE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "open"),  # the embedded default (no REDIS_URL): the single-machine demo
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "invite-only"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0", "SIGNUP_MODE": "closed"}, "closed"),
        ({"SIGNUP_MODE": "invite-only"}, "invite-only"),
    ],
)
def test_signup_mode_defaults_to_invite_only_outside_the_embedded_default(env, expected, tmp_path):
    result = _signup_mode_with(env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_bad_signup_mode_stops_the_start(tmp_path):
    result = _signup_mode_with({"SIGNUP_MODE": "sometimes"}, tmp_path)
    assert result.returncode != 0
    assert "SIGNUP_MODE must be open, invite-only or closed" in result.stderr


def test_sign_up_is_throttled_per_address(client, db, open_signup, settings):
    settings.SIGNUP_RATE_PER_HOUR = 3
    for n in range(3):
        assert _sign_up(client, f"person{n}@example.com").status_code == 302
    throttled = _sign_up(client, "one-more@example.com")
    assert throttled.status_code == 429
    assert "Too many sign-up attempts" in throttled.content.decode()
    assert not get_user_model().objects.filter(username="one-more@example.com").exists()
    # Another address is not held up by this one.
    other = _sign_up(client, "elsewhere@example.com", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_sign_up_is_throttled_per_email_across_addresses(client, db, open_signup, settings):
    settings.SIGNUP_RATE_PER_HOUR = 2
    for n in range(2):
        _sign_up(client, "target@example.com", REMOTE_ADDR=f"10.0.0.{n}")
    assert _sign_up(client, "target@example.com", REMOTE_ADDR="10.0.0.9").status_code == 429


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "http://evil.example", "/\\evil"]
)
def test_sign_up_does_not_redirect_off_site(client, db, open_signup, target):
    response = _sign_up(client, "ann@example.com", query=f"?next={target}")
    assert response.status_code == 302
    assert "evil" not in response.url


def test_sign_up_keeps_a_local_next(client, db, open_signup):
    response = _sign_up(client, "ann@example.com", query="?next=/accounts/household/")
    assert response.url == reverse("accounts:login") + "?next=%2Faccounts%2Fhousehold%2F"


def test_sign_in_does_not_redirect_off_site(client, db):
    UserFactory(email="bob@example.com")
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "bob@example.com", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "evil" not in response.url


def test_sign_in_and_out(client, db):
    user = UserFactory(email="bob@example.com")
    response = client.post(
        reverse("accounts:login"), {"username": "BOB@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_sign_out_needs_post(owner):
    assert owner.client.get(reverse("accounts:logout")).status_code == 405


def test_user_without_household_is_sent_to_create_one(client, db):
    client.force_login(UserFactory(email="lonely@example.com"))
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:household_create")
    created = client.post(reverse("accounts:household_create"), {"name": "Mine"})
    assert created.status_code == 302
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_household_form_errors_answer_200(client, db):
    client.force_login(UserFactory(email="lonely@example.com"))
    response = client.post(reverse("accounts:household_create"), {"name": ""})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_password_change(owner):
    url = reverse("accounts:password_change")
    new = "another long passphrase"
    response = owner.client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password(new)


def test_password_change_with_wrong_old_password_keeps_the_old_one(owner):
    url = reverse("accounts:password_change")
    response = owner.client.post(
        url, {"old_password": "wrong", "new_password1": "x" * 20, "new_password2": "x" * 20}
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    owner.user.refresh_from_db()
    assert owner.user.check_password(PASSWORD)


def test_views_that_carry_a_password_hide_it_from_error_reports(client, owner, open_signup):
    """Django's error reports and logs leave out the POST values of these views."""
    posts = [
        (client, reverse("accounts:signup"), {"password": "x"}),
        (client, reverse("accounts:login"), {"password": "x"}),
        (client, reverse("accounts:invitation_signup", args=["unknown"]), {"password": "x"}),
        (owner.client, reverse("accounts:password_change"), {"old_password": "x"}),
        (owner.client, reverse("accounts:link_password"), {"password": "x"}),
    ]
    for who, url, data in posts:
        request = who.post(url, data).wsgi_request
        assert getattr(request, "sensitive_post_parameters", None) == "__ALL__", url


def test_every_post_needs_csrf(db, settings):
    from django.test import Client

    settings.SIGNUP_MODE = "open"
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:signup"),
        {"email": "a@example.com", "password": "a long safe passphrase", "household_name": "A"},
    )
    assert response.status_code == 403
