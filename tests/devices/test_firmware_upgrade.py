"""Firmware upgrades from a thing's page: the outcome rule, the start, the ends."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django_scopes import scopes_disabled

from accounts.models import Notification
from devices.firmware_upgrade import (
    NOT_CONNECTED,
    UpgradeOrder,
    end_if_stalled,
    finish_upgrade,
    is_newer,
    start_upgrade,
)
from devices.models import FirmwareUpdate, FirmwareUpgrade, Thing, ThingAction, UpgradeState
from devices.thing_actions import ActionFailed
from tests.factories import LinkedAccountFactory


@pytest.mark.parametrize(
    ("reported", "original", "newer"),
    [
        ("3.10.0", "3.9.1", True),
        ("3.9.1", "3.10.0", False),
        ("3.5.1", "3.5.1", False),
        ("3.5.1", "3.5", True),
        ("4.0", "3.99.99", True),
        ("2.7.0", "3.5.1", False),
        ("", "3.5.1", False),
    ],
)
def test_newer_compares_versions_part_by_part_as_numbers(
    reported: str, original: str, newer: bool
) -> None:
    assert is_newer(reported, original) is newer


@pytest.fixture
def plug(owner: Any) -> Thing:
    account = LinkedAccountFactory(household=owner.household)
    with scopes_disabled():
        thing = Thing.objects.create(
            household=owner.household, account=account, cloud_id="1000abc", item_type=1,
            name="Porch plug", model="PSF-B01-GL", fw_version="3.5.1", owner_apikey="key-1",
        )  # fmt: skip
        FirmwareUpdate.objects.create(
            household=owner.household, thing=thing, current_version="3.5.1", version="3.10.0",
            files=[{"name": "user1.bin", "downloadUrl": "http://x/1.bin", "digest": "ab"}],
        )  # fmt: skip
    return thing


class Worker:
    """Stands in for the realtime worker on the other side of the channel layer."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.orders: list[UpgradeOrder] = []

    async def __call__(self, order: UpgradeOrder) -> str:
        self.orders.append(order)
        return self.status


def start(owner: Any, plug: Thing, status: str = "ok") -> tuple[FirmwareUpgrade, Worker]:
    worker = Worker(status)
    with scopes_disabled():
        return start_upgrade(owner.membership, plug, "3.10.0", worker), worker


def test_an_upgrade_sends_the_documents_params_and_is_in_progress(owner: Any, plug: Thing) -> None:
    upgrade, worker = start(owner, plug)
    (order,) = worker.orders
    assert order.params == {
        "model": "PSF-B01-GL",
        "version": "3.10.0",
        "binList": [{"name": "user1.bin", "downloadUrl": "http://x/1.bin", "digest": "ab"}],
    }
    assert (order.deviceid, order.owner, order.from_version) == ("1000abc", "key-1", "3.5.1")
    with scopes_disabled():
        upgrade.refresh_from_db()
        assert upgrade.state == UpgradeState.PENDING
        assert ThingAction.objects.get(action="upgrade").result == "pending"
        with pytest.raises(ActionFailed, match="already in progress"):
            start_upgrade(owner.membership, plug, "3.10.0", worker)


def test_no_worker_holding_the_account_refuses_and_leaves_nothing_in_progress(
    owner: Any, plug: Thing
) -> None:
    with pytest.raises(ActionFailed) as refused:
        start(owner, plug, "not_connected")
    assert refused.value.message == NOT_CONNECTED
    with scopes_disabled():
        assert not FirmwareUpgrade.objects.exists()
        assert ThingAction.objects.get(action="upgrade").result == "failed"


def test_members_and_versions_not_offered_are_refused(owner: Any, member: Any, plug: Thing) -> None:
    with scopes_disabled():
        plug = Thing.objects.get(pk=plug.pk)
        with pytest.raises(PermissionDenied):
            start_upgrade(member.membership, plug, "3.10.0", Worker("ok"))
        with pytest.raises(ActionFailed, match="not offered"):
            start_upgrade(owner.membership, plug, "9.9.9", Worker("ok"))
        assert not FirmwareUpgrade.objects.exists()


def test_a_newer_reported_version_is_success(owner: Any, plug: Thing) -> None:
    start(owner, plug)
    with scopes_disabled():
        ended = finish_upgrade(plug.pk, "3.10.0")
        assert ended is not None
        assert ended.state == UpgradeState.SUCCEEDED
        assert Thing.objects.get(pk=plug.pk).fw_version == "3.10.0"
        assert FirmwareUpdate.objects.get(thing=plug).installed_at is not None
        assert ThingAction.objects.get(action="upgrade").result == "ok"
        assert finish_upgrade(plug.pk, "3.10.0") is None  # decided once


def test_the_original_version_after_the_reboot_is_failure(owner: Any, plug: Thing) -> None:
    start(owner, plug)
    with scopes_disabled():
        ended = finish_upgrade(plug.pk, "3.5.1")
        assert ended is not None
        assert ended.state == UpgradeState.FAILED
        assert "came back with 3.5.1" in ended.message
        action = ThingAction.objects.get(action="upgrade")
        assert (action.result, action.message) == ("failed", ended.message)
        assert FirmwareUpdate.objects.get(thing=plug).installed_at is None


@override_settings(OTA_UPGRADE_TIMEOUT_S=600)
def test_no_report_in_time_is_a_failure_that_says_so(
    owner: Any, plug: Thing, django_capture_on_commit_callbacks: Any
) -> None:
    upgrade, _ = start(owner, plug)
    with django_capture_on_commit_callbacks(execute=True):
        ended = end_if_stalled(upgrade.pk)
    assert ended is not None
    assert ended.message == (
        "The upgrade to 3.10.0 failed: the device did not come back with the new firmware "
        "within 10 minutes."
    )
    with scopes_disabled():
        titles = list(Notification.objects.values_list("title", flat=True))
    assert titles == ["Firmware upgrade of Porch plug failed"]
    assert end_if_stalled(upgrade.pk) is None  # already ended


def test_the_worker_watches_upgrades_in_progress_of_its_account(owner: Any, plug: Thing) -> None:
    from realtime.worker.ingest import load_devices

    start(owner, plug)
    assert {t.pk: t.upgrade_from for t in load_devices(plug.account_id)}[plug.pk] == "3.5.1"
    with scopes_disabled():
        finish_upgrade(plug.pk, "3.10.0")
    assert {t.pk: t.upgrade_from for t in load_devices(plug.account_id)}[plug.pk] is None
