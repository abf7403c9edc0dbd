"""Linking with a code the cloud sends (SMS sign-in, new account, forgotten password),
against a running cloudsim: the services and the two-step pages."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import quote

import pytest
from django.urls import reverse

from accounts import cloud_signup
from accounts.cloud_signup import Purpose
from accounts.linking import LinkError
from accounts.models import LinkedAccount, LinkMethod
from devices.models import Thing
from tests.background import queued_work_runs
from tests.fixtures.cloud import DEMO

pytestmark = pytest.mark.integration
CN_PHONE, CN_PASSWORD = "+8613800138000", "cn-pass-1234"
EU = "demo-eu@example.com"


def _code(cloud, target: str, purpose: Purpose) -> str:
    codes = cloud.control("GET", f"/verification-codes?target={quote(target)}")
    return codes[f"{int(purpose)}:{target}"]


@pytest.fixture
def cn_account(cloud):
    """A mainland China account (SMS sign-in is for +86 numbers) owning one plug."""
    account = cloud.control(
        "POST",
        "/accounts",
        {"region": "cn", "password": CN_PASSWORD, "countryCode": "+86", "phoneNumber": CN_PHONE},
    )
    cloud.control("POST", "/devices", {"uiid": 1, "name": "Tea plug", "owner": account["apikey"]})
    return account


def test_sms_code_links_the_account_and_loads_its_things(owner, cloud, cn_account, unscoped):
    cloud_signup.send_code(owner.membership, Purpose.SMS, identifier="13800138000",
                           country_code="+86")  # fmt: skip
    code = _code(cloud, CN_PHONE, Purpose.SMS)
    with queued_work_runs():
        account = cloud_signup.link_with_sms_code(
            owner.membership, identifier="13800138000", country_code="+86", code=code, label=""
        )
    account.refresh_from_db()
    assert (account.apikey, account.region, account.status) == (
        cn_account["apikey"], "cn", "active")  # fmt: skip
    assert account.household == owner.household
    # Stored as linked by SMS code (not "password"), and the account list says so.
    assert account.method == LinkMethod.SMS_CODE
    listing = owner.client.get(reverse("accounts:linked_accounts")).content.decode()
    assert f"{account.identifier} · SMS code" in listing


def test_sms_code_is_refused_in_words_outside_china(owner, cloud, unscoped):
    with pytest.raises(LinkError, match=r"mainland China numbers \(\+86\)"):
        cloud_signup.send_code(owner.membership, Purpose.SMS, identifier="7700900123",
                               country_code="+44")  # fmt: skip
    assert cloud.control("GET", "/verification-codes?target=%2B447700900123") == {}


def test_wrong_code_is_10002_in_words(owner, cloud, cn_account, unscoped):
    cloud_signup.send_code(owner.membership, Purpose.SMS, identifier=CN_PHONE, country_code="+86")
    with pytest.raises(LinkError, match="code is not right"):
        cloud_signup.link_with_sms_code(
            owner.membership, identifier=CN_PHONE, country_code="+86", code="000000x", label=""
        )
    assert not LinkedAccount.objects.exists()


def test_codes_asked_too_often_are_10010_in_words(owner, cloud, unscoped):
    for _ in range(3):  # cloudsim allows 3 a minute for one address
        cloud_signup.send_code(owner.membership, Purpose.REGISTER, identifier="new@example.com",
                               country_code="+44")  # fmt: skip
    with pytest.raises(LinkError, match=r"asked for too often.*Wait a minute"):
        cloud_signup.send_code(owner.membership, Purpose.REGISTER, identifier="new@example.com",
                               country_code="+44")  # fmt: skip


def test_register_creates_the_account_and_links_it(owner, cloud, unscoped):
    cloud_signup.send_code(owner.membership, Purpose.REGISTER, identifier="fresh@example.com",
                           country_code="+44")  # fmt: skip
    code = _code(cloud, "fresh@example.com", Purpose.REGISTER)
    with queued_work_runs():
        account = cloud_signup.register_and_link(
            owner.membership, identifier="fresh@example.com", country_code="+44", code=code,
            password="brand-new-pass", label="Fresh",
        )  # fmt: skip
    made = [a for a in cloud.control("GET", "/accounts") if a.get("email") == "fresh@example.com"]
    assert len(made) == 1
    assert (account.apikey, account.label, account.region) == (made[0]["apikey"], "Fresh", "eu")
    account.refresh_from_db()
    assert account.method == LinkMethod.REGISTERED
    listing = owner.client.get(reverse("accounts:linked_accounts")).content.decode()
    assert "fresh@example.com · New eWeLink account" in listing


def test_register_an_existing_account_is_10009_with_the_way_out(owner, cloud, unscoped):
    with pytest.raises(cloud_signup.AccountExists, match="already an eWeLink account"):
        cloud_signup.register_and_link(
            owner.membership, identifier=EU, country_code="+44", code="123456",
            password="whatever-pass", label="",
        )  # fmt: skip


def test_reset_password_then_link_with_it(owner, cloud, unscoped):
    cloud_signup.send_code(owner.membership, Purpose.RESET, identifier=EU, country_code="+44")
    code = _code(cloud, EU, Purpose.RESET)
    cloud_signup.reset_password(
        owner.membership, identifier=EU, country_code="+44", code=code, password="reset-pass-99"
    )
    assert not LinkedAccount.objects.exists()
    with queued_work_runs():
        response = owner.client.post(
            reverse("accounts:link_password"),
            {"identifier": EU, "password": "reset-pass-99", "country_code": "+44"},
        )
    assert response.status_code == 302
    assert LinkedAccount.objects.get().identifier == EU
    assert DEMO[EU]["password"] != "reset-pass-99"


def test_members_may_not_ask_for_codes(member, cloud, unscoped):
    for name in ("link_sms", "link_register", "link_reset"):
        assert member.client.get(reverse(f"accounts:{name}")).status_code == 403
        posted = {"step": "send", "identifier": EU, "country_code": "+44"}
        assert member.client.post(reverse(f"accounts:{name}"), posted).status_code == 403
    assert cloud.control("GET", "/verification-codes") == {}


def test_pages_two_steps_keep_the_address_never_the_code(owner, cloud, caplog, unscoped):
    caplog.set_level(logging.DEBUG)
    url = reverse("accounts:link_register")
    page = owner.client.get(url)
    assert b"Send code" in page.content
    sent = owner.client.post(url, {"step": "send", "identifier": "Two@Example.com",
                                   "country_code": "+44"})  # fmt: skip
    assert sent.status_code == 302
    step = owner.client.session["ewelink_code_step"]
    assert step == step | {"identifier": "two@example.com", "country_code": "+44",
                           "region": "eu", "purpose": 0}  # fmt: skip
    assert set(step) == {"purpose", "identifier", "country_code", "region", "sent_at"}
    wrong = owner.client.post(url, {"step": "finish", "code": "999999x",
                                    "password": "secret-pass-1", "label": ""})  # fmt: skip
    body = wrong.content.decode()
    assert "code is not right" in body
    assert "two@example.com" in body
    for secret in ("999999x", "secret-pass-1"):
        assert secret not in body
        assert secret not in caplog.text
    assert "You can ask for a new code in" in body
    code = _code(cloud, "two@example.com", Purpose.REGISTER)
    with queued_work_runs():
        done = owner.client.post(url, {"step": "finish", "code": code,
                                       "password": "secret-pass-1", "label": ""})  # fmt: skip
    assert done.url == reverse("accounts:linked_accounts")
    assert "ewelink_code_step" not in owner.client.session
    assert LinkedAccount.objects.get().identifier == "two@example.com"


def test_an_expired_step_asks_for_a_new_code(owner, cloud, unscoped):
    url = reverse("accounts:link_reset")
    owner.client.post(url, {"step": "send", "identifier": EU, "country_code": "+44"})
    session = owner.client.session
    session["ewelink_code_step"] = session["ewelink_code_step"] | {"sent_at": 0}
    session.save()
    page = owner.client.post(url, {"step": "finish", "code": "1", "password": "whatever-pass"})
    assert "time ran out" in page.content.decode()


def test_things_of_an_sms_linked_account_sync(owner, cloud, cn_account, unscoped):
    url = reverse("accounts:link_sms")
    owner.client.post(url, {"step": "send", "identifier": "13800138000", "country_code": "+86"})
    code = _code(cloud, CN_PHONE, Purpose.SMS)
    with queued_work_runs():
        owner.client.post(url, {"step": "finish", "code": code, "label": "Tea"})
    account = LinkedAccount.objects.get()
    assert list(Thing.objects.filter(account=account).values_list("name", flat=True)) == [
        "Tea plug"
    ]


def test_resend_waits_then_sends_a_new_code(owner, cloud, cn_account, unscoped):
    url = reverse("accounts:link_sms")
    owner.client.post(url, {"step": "send", "identifier": CN_PHONE, "country_code": "+86"})
    first = _code(cloud, CN_PHONE, Purpose.SMS)
    early = owner.client.post(url, {"step": "resend"}, follow=True)
    assert re.search(r"Wait \d+ seconds before asking for another code", early.content.decode())
    assert _code(cloud, CN_PHONE, Purpose.SMS) == first
    session = owner.client.session
    session["ewelink_code_step"] = session["ewelink_code_step"] | {"sent_at": time.time() - 61}
    session.save()
    again = owner.client.post(url, {"step": "resend"}, follow=True)
    assert f"A code was sent to {CN_PHONE}." in again.content.decode()
    restart = owner.client.post(url, {"step": "restart"}, follow=True)
    assert b"Step 1 of 2" in restart.content
