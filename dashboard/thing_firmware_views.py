"""Firmware actions on a thing's page (thin: devices.firmware_upgrade works)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.access import Access
from dashboard.thing_views import thing_action
from devices import firmware_upgrade
from devices.models import Thing
from realtime.upgrade import send_upgrade


def _check(request: HttpRequest, access: Access[Thing]) -> str:
    offer = firmware_upgrade.check_now(access.membership, access.obj)
    if offer is None:
        return "Checked: the firmware is up to date."
    return f"Checked: firmware {offer.version} is available."


def _upgrade(request: HttpRequest, access: Access[Thing]) -> str:
    version = request.POST.get("version", "")
    firmware_upgrade.start_upgrade(access.membership, access.obj, version, send_upgrade)
    return f"Upgrade to {version} started; the device reboots and reports back."


ota_check = thing_action(_check, "firmware")
upgrade = thing_action(_upgrade, "firmware")
