"""A linked eWeLink account's own settings (owners): profile, cloud password, closing the
account; the services and the pages, against a running cloudsim."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import cloud_account_settings as own
from accounts import linking, syncing
from accounts.cloud import open_client
from accounts.cloud_signup import Purpose
from accounts.linking import LinkError, _password_login
from accounts.models import LinkedAccount
from devices.models import Thing
from tests.background import queued_work_runs

pytestmark = pytest.mark.integration
EMAIL, PASSWORD = "own@example.com", "own-pass-1234"


def _cloud_account(cloud, email: str = EMAIL) -> dict:
    return next(a for a in cloud.control("GET", "/accounts") if a.get("email") == email)


@pytest.fixture
def linked(owner, cloud, unscoped) -> LinkedAccount:
    """A fresh eWeLink account with one plug, linked and synced in the owner's household."""
    made = cloud.control(
        "POST",
        "/accounts",
        {"region": "eu", "password": PASSWORD, "countryCode": "+44", "email": EMAIL,
         "nickname": "Own"},
    )  # fmt: skip
    cloud.control("POST", "/devices", {"uiid": 1, "name": "Own plug", "owner": made["apikey"]})
    account = linking.link_with_password(
        owner.membership, identifier=EMAIL, password=PASSWORD, country_code="+44", label="Own"
    )
    with queued_work_runs():
        syncing.request_sync(account)
    return account


def _login_works(cloud, password: str) -> bool:
    try:
        async_to_sync(_password_login)(EMAIL, password, "+44")
    except LinkError:
        return False
    return True


def _profile_apikey(account: LinkedAccount) -> str:
    """A cloud call with the stored tokens (as the jobs make them)."""

    async def call() -> str:
        async with open_client(account) as client:
            return (await client.get_profile()).apikey

    account.refresh_from_db()
    return async_to_sync(call)()


def test_profile_shows_and_saves_nickname_and_newsletter(owner, cloud, linked):
    profile = own.get_profile(owner.membership, linked)
    assert (profile.nickname, profile.email, profile.region) == ("Own", EMAIL, "eu")
    own.update_profile(owner.membership, linked, nickname="Renamed", accept_email_ad=True,
                       account_consult=False)  # fmt: skip
    state = _cloud_account(cloud)
    assert state["nickname"] == "Renamed"
    assert own.get_profile(owner.membership, linked).accept_email_ad is True


def test_profile_page_refuses_empty_and_long_nickname_in_words(owner, cloud, linked):
    url = reverse("accounts:account_settings", args=[linked.pk])
    page = owner.client.post(url, {"form": "profile", "nickname": ""})
    assert "Enter a nickname" in page.content.decode()
    page = owner.client.post(url, {"form": "profile", "nickname": "x" * 40})
    assert "at most 32 characters" in page.content.decode()
    assert _cloud_account(cloud)["nickname"] == "Own"
    saved = owner.client.post(url, {"form": "profile", "nickname": "Kitchen"})
    assert saved.status_code == 302
    assert _cloud_account(cloud)["nickname"] == "Kitchen"


def test_password_change_keeps_the_link(owner, cloud, linked):
    url = reverse("accounts:account_settings", args=[linked.pk])
    wrong = owner.client.post(url, {"form": "password", "old_password": "nope-nope",
                                    "new_password": "new-pass-5678",
                                    "confirm_password": "new-pass-5678"})  # fmt: skip
    body = wrong.content.decode()
    assert "current password is not right" in body
    assert "nope-nope" not in body
    assert "new-pass-5678" not in body
    mismatch = owner.client.post(url, {"form": "password", "old_password": PASSWORD,
                                       "new_password": "new-pass-5678",
                                       "confirm_password": "new-pass-0000"})  # fmt: skip
    assert "not the same" in mismatch.content.decode()
    done = owner.client.post(url, {"form": "password", "old_password": PASSWORD,
                                   "new_password": "new-pass-5678",
                                   "confirm_password": "new-pass-5678"})  # fmt: skip
    assert done.status_code == 302
    assert _login_works(cloud, "new-pass-5678")
    assert not _login_works(cloud, PASSWORD)


def test_stored_tokens_still_work_after_a_password_change(owner, cloud, linked):
    own.change_password(owner.membership, linked, old=PASSWORD, new="new-pass-5678")
    assert _profile_apikey(linked) == linked.apikey


def test_close_account_needs_code_and_typed_address_then_removes_everything(owner, cloud, linked):
    assert Thing.objects.filter(account=linked).exists()
    url = reverse("accounts:account_close", args=[linked.pk])
    owner.client.post(url, {"step": "send"})
    codes = cloud.control("GET", f"/verification-codes?target={quote(EMAIL)}")
    code = codes[f"{int(Purpose.CLOSE)}:{EMAIL}"]
    typo = owner.client.post(url, {"step": "close", "code": code, "identifier": "own@example.org"})
    assert "Type it exactly" in typo.content.decode()
    wrong = owner.client.post(url, {"step": "close", "code": "000000", "identifier": EMAIL})
    assert "code is not right" in wrong.content.decode()
    assert LinkedAccount.objects.filter(pk=linked.pk).exists()
    done = owner.client.post(url, {"step": "close", "code": code, "identifier": EMAIL})
    assert done.status_code == 302
    assert not any(a.get("email") == EMAIL for a in cloud.control("GET", "/accounts"))
    assert not LinkedAccount.objects.filter(pk=linked.pk).exists()
    assert not Thing.objects.filter(account_id=linked.pk).exists()


def test_admins_are_refused_and_see_no_settings_link(admin, owner, cloud, linked):
    for name in ("accounts:account_settings", "accounts:account_close"):
        assert admin.client.get(reverse(name, args=[linked.pk])).status_code == 403
    listing = admin.client.get(reverse("accounts:linked_accounts")).content.decode()
    assert "data-account-settings" not in listing
    owners = owner.client.get(reverse("accounts:linked_accounts")).content.decode()
    assert "data-account-settings" in owners
    with pytest.raises(PermissionDenied, match="owner"):
        own.update_profile(admin.membership, linked, nickname="X", accept_email_ad=False,
                           account_consult=False)  # fmt: skip
