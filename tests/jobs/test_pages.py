"""Notifications page and unread count; job outcomes on the account page and in the admin."""

from __future__ import annotations

import kombu.exceptions
import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

import ewelink
from accounts import notifications
from accounts.models import JobKind, Notification, NotificationKind, TaskRun
from jobs import runs
from tests.factories import LinkedAccountFactory, UserFactory

LIST = reverse("accounts:notifications")


@pytest.fixture
def notes(owner, outsider, unscoped) -> list[Notification]:
    ours = [
        notifications.notify(owner.household.pk, NotificationKind.FIRMWARE, f"Ours {n}")
        for n in range(2)
    ]
    notifications.notify(outsider.household.pk, NotificationKind.FIRMWARE, "Theirs")
    return ours


def _unread_badge(page: str) -> str | None:
    marker = "data-unread-count>"
    return page.split(marker, 1)[1].split("<", 1)[0] if marker in page else None


def test_members_see_their_households_notifications_and_the_unread_count(member, notes):
    page = member.client.get(LIST).content.decode()

    assert "Ours 0" in page
    assert "Ours 1" in page
    assert "Theirs" not in page
    assert _unread_badge(page) == "2"


def test_a_member_marks_read_and_the_count_drops(member, notes, unscoped):
    response = member.client.post(reverse("accounts:notification_read", args=[notes[0].pk]))

    assert response.status_code == 302
    assert Notification.objects.get(pk=notes[0].pk).read_at is not None
    assert _unread_badge(member.client.get(LIST).content.decode()) == "1"
    member.client.post(reverse("accounts:notifications_read_all"))
    assert _unread_badge(member.client.get(LIST).content.decode()) is None
    assert Notification.objects.filter(read_at=None).count() == 1  # the other household's


def test_guests_look_but_do_not_mark(guest, notes, unscoped):
    page = guest.client.get(LIST).content.decode()
    assert "Ours 0" in page
    assert "Mark read" not in page

    response = guest.client.post(reverse("accounts:notification_read", args=[notes[0].pk]))
    assert response.status_code == 403
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_an_outsider_cannot_mark_ours(outsider, notes, unscoped):
    response = outsider.client.post(reverse("accounts:notification_read", args=[notes[0].pk]))

    assert response.status_code == 404
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert "Ours" not in outsider.client.get(LIST).content.decode()


def _job_history(account) -> None:
    runs.record_success(account, JobKind.CHECK_FIRMWARE, {"new": 1})
    error = ewelink.ServerError("injected fault", 500)
    runs.record_failure(account, JobKind.SYNC_HISTORY, error, attempt=5, final=True)


def test_the_account_page_shows_each_jobs_last_run_and_error(owner, outsider, unscoped):
    account = LinkedAccountFactory(household=owner.household)
    _job_history(account)
    _job_history(LinkedAccountFactory(household=outsider.household, label="Elsewhere"))

    page = owner.client.get(reverse("accounts:linked_accounts")).content.decode()

    jobs_line = page.split(f'data-account-jobs="{account.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Firmware check" in jobs_line
    assert "History sync" in jobs_line
    assert "failed" in jobs_line
    assert "cannot be reached" in jobs_line
    assert "(new 1)" in jobs_line
    assert page.count("data-account-jobs=") == 1


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_job_health_and_runs_a_job_now(staff, link, eager, unscoped):
    account = link()
    _job_history(account)
    changelist = reverse("admin:accounts_linkedaccount_changelist")

    listing = staff.get(changelist).content.decode()
    detail = staff.get(reverse("admin:accounts_linkedaccount_change", args=[account.pk]))
    assert "failing: History sync" in listing
    assert "injected fault" in detail.content.decode()

    staff.post(changelist, {"action": "run_sync_history", "_selected_action": [account.pk]})

    run = TaskRun.objects.get(account=account, task=JobKind.SYNC_HISTORY)
    assert run.ok
    assert run.result["created"] > 0


def test_without_a_broker_the_admin_runs_the_job_in_its_request(staff, link, monkeypatch):
    account = link()

    def no_broker(job, account_id):
        raise kombu.exceptions.OperationalError("connection refused")

    monkeypatch.setattr("jobs.admin.run_now", no_broker)
    changelist = reverse("admin:accounts_linkedaccount_changelist")

    response = staff.post(
        changelist, {"action": "run_check_firmware", "_selected_action": [account.pk]}, follow=True
    )

    assert "run here: no broker" in response.content.decode()
    with scopes_disabled():
        assert TaskRun.objects.get(account=account, task=JobKind.CHECK_FIRMWARE).ok
