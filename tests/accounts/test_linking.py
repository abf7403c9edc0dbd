"""Linking eWeLink accounts against a running cloudsim: both ways, errors, dedupe, unlink."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import LinkedAccount, LinkMethod, LinkStatus
from devices.models import Thing
from tests.background import queued_work_runs
from tests.fixtures.cloud import DEMO, FREE_APP

pytestmark = pytest.mark.integration
EU, US = "demo-eu@example.com", "demo-us@example.com"


def _form(email: str, **overrides: str) -> dict[str, str]:
    demo = DEMO[email]
    data = {"identifier": email, "password": demo["password"], "country_code": demo["country_code"]}
    return data | {"label": "Mine"} | overrides


def _link(persona, email: str, **overrides: str):
    """Link through the form; the first load it queued runs after it, as the worker would."""
    with queued_work_runs():
        return persona.client.post(reverse("accounts:link_password"), _form(email, **overrides))


def _callback(persona, redirect):  # type: ignore[no-untyped-def]
    """The cloud's redirect back to us, and then the first load it queued."""
    with queued_work_runs():
        return persona.client.get(f"{redirect.path}?{redirect.query}")


def test_password_link_stores_tokens_and_loads_the_accounts_things(owner, cloud, unscoped):
    response = _link(owner, US)
    assert response.status_code == 302
    account = LinkedAccount.objects.get()
    assert (account.region, account.method, account.status) == ("us", LinkMethod.PASSWORD, "active")
    assert account.household == owner.household
    assert account.access_token
    assert account.refresh_token
    assert account.refresh_expires_at > account.access_expires_at
    owned = {
        d["deviceid"] for d in cloud.control("GET", "/devices") if d["owner"] == account.apikey
    }
    synced = set(
        Thing.objects.filter(account=account, kind="device").values_list("cloud_id", flat=True)
    )
    assert synced == owned


def test_password_link_follows_the_region_redirect(owner, cloud, unscoped):
    # +1 points at the us cloud; the account lives in eu, so login follows 10004 once.
    response = _link(owner, EU, country_code="+1")
    assert response.status_code == 302
    assert LinkedAccount.objects.get().region == "eu"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "not-the-password"}, "password is not right"),
        ({"identifier": "nobody@example.com"}, "no eWeLink account"),
    ],
)
def test_wrong_credentials_give_a_specific_message_and_keep_nothing(
    owner, cloud, unscoped, overrides, message
):
    response = _link(owner, US, **overrides)
    assert response.status_code == 200  # an error on the form, as Django's forms answer
    assert message in response.content.decode()
    assert not LinkedAccount.objects.exists()


def test_bad_form_input_is_a_field_error(owner, cloud, unscoped):
    response = _link(owner, US, country_code="44", identifier="not an id")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"country_code", "identifier"}


def _use_free_app(settings) -> None:
    settings.EWELINK_APP_ID, settings.EWELINK_APP_SECRET = FREE_APP.split(":")


def test_an_app_without_password_login_suggests_the_other_way(owner, cloud, settings, unscoped):
    _use_free_app(settings)
    response = _link(owner, US)
    assert "Link with eWeLink" in response.content.decode()
    assert not LinkedAccount.objects.exists()


def test_a_free_oauth_only_app_links_through_oauth(owner, cloud, settings, unscoped):
    _use_free_app(settings)
    _, query = _oauth_redirect(owner, cloud)
    redirect = urlparse(_authorize(cloud, query, US))
    assert _callback(owner, redirect).status_code == 302
    account = LinkedAccount.objects.get()
    assert (account.method, account.region) == (LinkMethod.OAUTH, "us")
    assert Thing.objects.filter(account=account).exists()


def test_cloud_unreachable(owner, cloud, settings, unscoped):
    settings.EWELINK_BASE_URL = "http://127.0.0.1:9/{region}"
    response = _link(owner, US)
    assert "cannot be reached" in response.content.decode()


def test_cloud_answering_500_is_reported_as_unreachable(owner, cloud, unscoped):
    cloud.control(
        "POST", "/faults", {"kind": "http_status", "path": "/v2/user/login", "status": 500}
    )
    response = _link(owner, US)
    assert "cannot be reached" in response.content.decode()
    assert not LinkedAccount.objects.exists()


def test_rate_limited_cloud(owner, cloud, unscoped):
    cloud.control("POST", "/faults", {"kind": "rate_limit", "path": "/v2/user/login"})
    response = _link(owner, US)
    assert "slow down" in response.content.decode()


def test_members_cannot_link(member, cloud, unscoped):
    assert _link(member, US).status_code == 403
    assert not LinkedAccount.objects.exists()


def test_an_account_linked_elsewhere_is_refused_without_saying_where(
    owner, outsider, cloud, unscoped
):
    assert _link(outsider, US).status_code == 302
    response = _link(owner, US)
    page = response.content.decode()
    assert "already linked on this server" in page
    assert outsider.household.name not in page
    assert outsider.user.email not in page
    # The refused attempt logged in again (one session per account), so the first
    # household's row now holds the fresh tokens and keeps working.
    account = LinkedAccount.objects.get()
    assert account.household == outsider.household
    from devices.sync import sync_account

    sync_account(account.pk)
    assert LinkedAccount.objects.get().status == LinkStatus.ACTIVE


def test_relinking_the_same_account_renews_it(owner, cloud, unscoped):
    _link(owner, US)
    LinkedAccount.objects.update(status=LinkStatus.NEEDS_RELINK, last_error="kicked")
    page = owner.client.get(reverse("dashboard:home")).content.decode()
    assert "needs to be linked again" in page
    assert _link(owner, US).status_code == 302
    account = LinkedAccount.objects.get()
    assert (account.status, account.last_error) == (LinkStatus.ACTIVE, "")


def _oauth_redirect(persona, cloud) -> tuple[str, dict[str, list[str]]]:
    response = persona.client.post(reverse("accounts:link_oauth_start"), {"label": "Via OAuth"})
    assert response.status_code == 302
    target = urlparse(response.url)
    assert target.path.endswith("/oauth/index.html")
    return response.url, parse_qs(target.query)


def _authorize(cloud, query, email: str) -> str:
    apikey = next(a["apikey"] for a in cloud.control("GET", "/accounts") if a.get("email") == email)
    grant = cloud.control(
        "POST",
        "/oauth/code",
        {
            "apikey": apikey,
            "appid": query["clientId"][0],
            "redirectUrl": query["redirectUrl"][0],
            "state": query["state"][0],
        },
    )
    return grant["redirect"]


def test_oauth_link(owner, cloud, unscoped):
    _, query = _oauth_redirect(owner, cloud)
    redirect = urlparse(_authorize(cloud, query, EU))
    assert redirect.path == reverse("accounts:link_oauth_callback")
    response = _callback(owner, redirect)
    assert response.status_code == 302
    account = LinkedAccount.objects.get()
    assert (account.method, account.region, account.label) == (LinkMethod.OAUTH, "eu", "Via OAuth")
    assert account.identifier == EU
    assert Thing.objects.filter(account=account).count() > 20


def test_oauth_code_older_than_its_lifetime_is_refused(owner, cloud, unscoped):
    cloud.control("POST", "/settings", {"oauth_code_ttl": 0.2})
    _, query = _oauth_redirect(owner, cloud)
    redirect = urlparse(_authorize(cloud, query, EU))
    from tests.waiting import until

    issued_by = time.time()  # trying a code uses it up: wait until it is surely past its lifetime
    until(lambda: time.time() > issued_by + 0.2, what="the code's lifetime to pass")
    response = owner.client.get(f"{redirect.path}?{redirect.query}", follow=True)
    assert "took too long" in response.content.decode()
    assert not LinkedAccount.objects.exists()


def test_oauth_callback_with_a_foreign_state_is_refused(owner, cloud, unscoped):
    _, query = _oauth_redirect(owner, cloud)
    query["state"] = ["forged"]
    redirect = urlparse(_authorize(cloud, query, EU))
    response = owner.client.get(f"{redirect.path}?{redirect.query}", follow=True)
    assert "did not start here" in response.content.decode()
    assert not LinkedAccount.objects.exists()


def test_unlink_signs_out_at_the_cloud_and_keeps_the_data_out_of_sight(owner, cloud, unscoped):
    _link(owner, US)
    account = LinkedAccount.objects.get()
    tokens_before = account.access_token
    things = Thing.objects.filter(account=account).count()
    url = reverse("accounts:account_unlink", args=[account.pk])
    response = owner.client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == LinkStatus.UNLINKED
    assert (account.access_token, account.refresh_token) == ("", "")
    assert Thing.objects.filter(account=account).count() == things  # kept for the grace period
    # The cloud no longer knows the old access token.
    import asyncio

    import aiohttp

    async def profile_status() -> int:
        async with aiohttp.ClientSession() as session:
            url = cloud.api("us") + "/v2/user/profile"
            headers = {"Authorization": f"Bearer {tokens_before}"}
            async with session.get(url, headers=headers) as reply:
                return (await reply.json())["error"]

    assert asyncio.run(profile_status()) == 401


def test_resync_and_unlink_are_scoped(owner, outsider, cloud, unscoped):
    _link(outsider, US)
    account = LinkedAccount.objects.get()
    assert owner.client.post(reverse("accounts:account_sync", args=[account.pk])).status_code == 404
    unlink = reverse("accounts:account_unlink", args=[account.pk])
    assert owner.client.post(unlink, {"confirm": "yes"}).status_code == 404
    assert owner.client.get(unlink).status_code == 404
    assert LinkedAccount.objects.get(pk=account.pk).status == LinkStatus.ACTIVE


def test_guest_sees_accounts_but_cannot_unlink(owner, guest, cloud, unscoped):
    _link(owner, US)
    account = LinkedAccount.objects.get()
    page = guest.client.get(reverse("accounts:linked_accounts"))
    assert page.status_code == 200
    assert "Unlink" not in page.content.decode()
    unlink = reverse("accounts:account_unlink", args=[account.pk])
    assert guest.client.post(unlink, {"confirm": "yes"}).status_code == 403
    assert guest.client.get(unlink).status_code == 403
    assert LinkedAccount.objects.get().status == LinkStatus.ACTIVE


def test_secrets_never_reach_logs_pages_or_the_database_in_clear(
    owner, cloud, caplog, django_db_blocker, unscoped
):
    caplog.set_level(logging.DEBUG)
    password = DEMO[US]["password"]
    _link(owner, US)
    with queued_work_runs():
        owner.client.post(reverse("accounts:account_sync", args=[LinkedAccount.objects.get().pk]))
    account = LinkedAccount.objects.get()
    secrets = [account.access_token, account.refresh_token, password, cloud.secret]
    logged = caplog.text
    pages = "".join(
        owner.client.get(reverse(name)).content.decode()
        for name in ("accounts:linked_accounts", "dashboard:home")
    )
    from io import StringIO

    from django.core.management import call_command

    dump = StringIO()
    with scopes_disabled():
        call_command("dumpdata", "accounts", "devices", stdout=dump)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM accounts_linkedaccount")
        raw_row = " ".join(cursor.fetchone())
    for secret in secrets:
        assert secret not in logged
        assert secret not in pages
        assert secret not in dump.getvalue()
        assert secret not in raw_row
    with scope(household=owner.household.pk):
        assert LinkedAccount.objects.count() == 1
