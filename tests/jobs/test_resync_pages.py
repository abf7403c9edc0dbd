"""Resync and linking answer at once; the sync runs afterwards, its outcome in the job line."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import JobKind, LinkedAccount, LinkStatus
from devices.models import Thing
from tests.background import queued_work_runs
from tests.fixtures.cloud import DEMO

from .conftest import US, task_run

pytestmark = pytest.mark.integration
LIST = reverse("accounts:linked_accounts")
QUEUED = "the dashboard fills in as it loads."


def _sync_url(account: LinkedAccount) -> str:
    return reverse("accounts:account_sync", args=[account.pk])


def _syncing_line(page: str, account: LinkedAccount) -> str:
    """The opening tag of the account's "Syncing…" element."""
    return page.split(f'data-account-syncing="{account.pk}"', 1)[1].split(">", 1)[0]


def _jobs_line(page: str, account: LinkedAccount) -> str:
    return page.split(f'data-account-jobs="{account.pk}"', 1)[1].split("</tr>", 1)[0]


def test_resync_answers_at_once_and_the_pages_show_it_syncing(link, member, cloud, unscoped):
    account = link()
    cloud.control("POST", "/devices", {"owner": account.apikey, "uiid": 1, "name": "Porch light"})

    with queued_work_runs():
        response = member.client.post(_sync_url(account), follow=True)
        page = response.content.decode()
        assert f"Syncing {account.label}… {QUEUED}" in page
        assert "hidden" not in _syncing_line(page, account)
        assert "Syncing…" in page
        dashboard = member.client.get(reverse("dashboard:home")).content.decode()
        assert "hidden" not in _syncing_line(dashboard, account)
        assert f"Syncing {account.label}…" in dashboard
        assert not Thing.objects.filter(name="Porch light").exists()  # not in the request

    assert Thing.objects.filter(account=account, name="Porch light").exists()
    page = member.client.get(LIST).content.decode()
    assert "hidden" in _syncing_line(page, account)
    jobs = _jobs_line(page, account)
    assert "Full sync" in jobs
    assert "ok" in jobs
    assert "created 1" in jobs


def test_a_second_resync_while_one_is_queued_says_so(link, member, cloud, unscoped):
    account = link()
    member.client.post(_sync_url(account))

    again = member.client.post(_sync_url(account), follow=True).content.decode()

    assert f"{account.label} is already syncing; {QUEUED}" in again


def test_a_failed_sync_shows_its_error_in_words_on_the_account(link, member, cloud, unscoped):
    account = link()
    fault = {"kind": "http_status", "path": "/v2/device/thing", "status": 500}
    cloud.control("POST", "/faults", fault)

    with queued_work_runs():
        member.client.post(_sync_url(account))

    cloud.control("DELETE", "/faults")
    assert not task_run(account, JobKind.RECONCILE).ok
    page = member.client.get(LIST).content.decode()
    assert "hidden" in _syncing_line(page, account)
    jobs = _jobs_line(page, account)
    assert "Full sync" in jobs
    assert "failed" in jobs
    assert "The eWeLink cloud cannot be reached" in jobs


def test_guests_get_no_resync_button_and_are_refused_one(link, guest, cloud, unscoped):
    account = link()

    assert guest.client.post(_sync_url(account)).status_code == 403

    assert not LinkedAccount.objects.get(pk=account.pk).syncing
    page = guest.client.get(LIST).content.decode()
    assert _sync_url(account) not in page  # no button to press
    assert "Resync" not in page
    assert "hidden" in _syncing_line(page, account)


def test_linking_answers_at_once_and_the_first_load_follows(owner, cloud, jobs_redis, unscoped):
    demo = DEMO[US]
    form = {
        "identifier": US,
        "password": demo["password"],
        "country_code": demo["country_code"],
        "label": "Holiday flat",
    }

    with queued_work_runs():
        page = owner.client.post(reverse("accounts:link_password"), form, follow=True)
        text = page.content.decode()
        assert "Holiday flat is linked." in text
        assert f"Syncing Holiday flat… {QUEUED}" in text
        account = LinkedAccount.objects.get()
        assert account.syncing
        assert not Thing.objects.filter(account=account).exists()

    account.refresh_from_db()
    assert not account.syncing
    assert Thing.objects.filter(account=account).exists()
    assert task_run(account, JobKind.RECONCILE).ok


def test_the_accounts_page_runs_the_live_script(link, member, cloud, unscoped):
    link()
    page = member.client.get(LIST).content.decode()

    assert "js/live.js" in page
    assert 'data-fragment="sections" data-view="accounts" data-structure="' in page


def test_an_account_needing_a_relink_is_not_queued_and_says_why(link, member, cloud, unscoped):
    account = link()
    LinkedAccount.objects.filter(pk=account.pk).update(status=LinkStatus.NEEDS_RELINK)

    page = member.client.post(_sync_url(account), follow=True).content.decode()

    assert f"{account.label} must be linked again before it can sync." in page
    assert not LinkedAccount.objects.get(pk=account.pk).syncing
