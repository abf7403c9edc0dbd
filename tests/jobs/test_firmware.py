"""Firmware checks against cloudsim: batches of at most 30, new offers notified once."""

from __future__ import annotations

import math

import pytest

from accounts.models import JobKind, Notification, NotificationKind
from devices.models import FirmwareUpdate, Thing
from devices.sync import sync_account
from devices.tasks import check_firmware_for_account

from .conftest import calls, task_run

pytestmark = pytest.mark.integration
OTA = "POST /v2/device/ota/query"


def test_new_firmware_is_recorded_and_notified_once(link, cloud, unscoped):
    account = link()

    result = check_firmware_for_account.apply(args=[account.pk]).get()

    update = FirmwareUpdate.objects.get(thing__name="Kitchen light")
    assert (update.current_version, update.version) == ("3.7.0", "3.7.2")
    assert update.files
    assert update.files[0]["downloadUrl"]
    assert result["new"] == FirmwareUpdate.objects.count() >= 1
    note = Notification.objects.get(kind=NotificationKind.FIRMWARE, title__contains="Kitchen")
    assert note.household == account.household
    assert "3.7.2" in note.title
    assert task_run(account, JobKind.CHECK_FIRMWARE).result == result

    again = check_firmware_for_account.apply(args=[account.pk]).get()

    assert again["new"] == 0
    assert FirmwareUpdate.objects.count() == result["new"]
    assert Notification.objects.filter(kind=NotificationKind.FIRMWARE).count() == result["new"]


def test_the_ota_query_goes_in_batches_of_30(link, cloud, unscoped):
    account = link()
    home = cloud.control("GET", "/accounts")
    family = next(a for a in home if a["apikey"] == account.apikey)["currentFamilyId"]
    for n in range(35):
        cloud.control(
            "POST",
            "/devices",
            {
                "owner": account.apikey,
                "uiid": 1,
                "name": f"Socket {n}",
                "familyid": family,
                "productModel": "S26R2",
                "fwVersion": "1.0.0",
                "ota": {"version": "1.1.0"},
            },
        )
    sync_account(account.pk)
    asked = (
        Thing.objects.filter(account=account, kind="device")
        .exclude(model="")
        .exclude(fw_version="")
    )
    assert asked.count() > 60
    cloud.control("POST", "/counters/reset")

    result = check_firmware_for_account.apply(args=[account.pk]).get()

    assert result["checked"] == asked.count()
    assert calls(cloud, OTA) == math.ceil(asked.count() / 30)
    assert FirmwareUpdate.objects.filter(version="1.1.0").count() == 35


def test_an_installed_update_is_marked_installed(link, cloud, unscoped):
    account = link()
    check_firmware_for_account.apply(args=[account.pk]).get()
    Thing.objects.filter(name="Kitchen light").update(fw_version="3.7.2")

    result = check_firmware_for_account.apply(args=[account.pk]).get()

    assert result["installed"] == 1
    assert FirmwareUpdate.objects.get(thing__name="Kitchen light").installed_at is not None
