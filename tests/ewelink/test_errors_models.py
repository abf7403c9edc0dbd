"""Error mapping and typed results that keep the raw dict."""

from __future__ import annotations

import pytest

from ewelink import errors
from ewelink.models import Homes, OtaInfo, Thing, ThingPage, User
from ewelink.ws.events import CommandResult, CommandStatus


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthError),
        (402, errors.TokenExpiredError),
        (406, errors.PermissionDeniedError),
        (10001, errors.AuthError),
        (10003, errors.AuthError),
        (407, errors.AppNotAllowedError),
        (412, errors.QuotaExceededError),
        (10010, errors.RateLimitedError),
        (503, errors.DeviceOfflineError),
        (4002, errors.DeviceOfflineError),
        (30022, errors.DeviceOfflineError),
        (504, errors.DeviceTimeoutError),
        (500, errors.ServerError),
        (502, errors.ServerError),
        (405, errors.NotFoundError),
        (30018, errors.ApiError),
    ],
)
def test_codes_map_to_types(code: int, cls: type[errors.ApiError]) -> None:
    exc = errors.error_for_code(code, "m")
    assert type(exc) is cls
    assert exc.code == code
    assert exc.message == "m"
    assert isinstance(exc, errors.EWeLinkError)


def test_token_expired_is_an_auth_error_and_redirect_carries_region() -> None:
    assert issubclass(errors.TokenExpiredError, errors.AuthError)
    redirect = errors.error_for_code(10004, "redirection", {"region": "eu"})
    assert isinstance(redirect, errors.RegionRedirectError)
    assert redirect.region == "eu"
    assert errors.RegionRedirectError("x", 10004, {"region": "mars"}).region is None


def test_http_status_mapping() -> None:
    assert isinstance(errors.error_for_http_status(403), errors.QuotaExceededError)
    assert isinstance(errors.error_for_http_status(429), errors.RateLimitedError)
    assert isinstance(errors.error_for_http_status(502, "bad gateway"), errors.ServerError)
    assert isinstance(errors.error_for_http_status(401), errors.AuthError)
    assert issubclass(errors.LimitError, ValueError)


def test_thing_list_parses_devices_shared_devices_and_groups() -> None:
    raw = {
        "total": 3,
        "thingList": [
            {
                "itemType": 1,
                "index": 2,
                "itemData": {
                    "deviceid": "1000aa",
                    "name": "Lamp",
                    "apikey": "me",
                    "online": True,
                    "extra": {"uiid": 1},
                    "params": {"switch": "on"},
                    "family": {"familyid": "f1", "roomid": "r1", "index": 2},
                    "vendorField": 7,
                },
            },
            {
                "itemType": 2,
                "index": 3,
                "itemData": {
                    "deviceid": "1000bb",
                    "name": "Shared",
                    "apikey": "owner",
                    "online": False,
                    "extra": {"uiid": "2"},
                    "sharedBy": {"apikey": "owner", "permit": 15},
                },
            },
            {
                "itemType": 3,
                "index": 4,
                "itemData": {
                    "id": "g1",
                    "name": "Group",
                    "mainDeviceId": "1000aa",
                    "params": {"switch": "off"},
                    "family": {"familyid": "f1", "index": 4},
                },
            },
        ],
    }
    page = ThingPage.from_raw(raw)
    own, shared, group = page.things
    assert page.total == 3
    assert own.device is not None
    assert own.device.uiid == 1
    assert own.device.online
    assert own.device.family.roomid == "r1"
    assert own.device.raw["vendorField"] == 7  # unmodelled fields survive in .raw
    assert not own.is_shared
    assert shared.is_shared
    assert shared.device is not None
    assert shared.device.uiid == 2
    assert shared.device.shared_by == {"apikey": "owner", "permit": 15}
    assert group.is_group
    assert group.id == "g1"
    assert group.device is None
    assert group.group is not None
    assert group.group.main_device_id == "1000aa"
    assert [t.name for t in page.things] == ["Lamp", "Shared", "Group"]


def test_homes_user_and_ota_parsing_tolerate_missing_fields() -> None:
    homes = Homes.from_raw(
        {
            "familyList": [
                {"id": "f", "name": "H", "roomList": [{"id": "r", "name": "Kitchen", "index": 1}]}
            ],
            "currentFamilyId": "f",
        }
    )
    assert homes.current_id == "f"
    assert homes.homes[0].rooms[0].name == "Kitchen"
    user = User.from_raw({"apikey": "k", "email": "a@b.c", "accountLevel": 10})
    assert (user.apikey, user.email, user.account_level, user.phone_number) == (
        "k",
        "a@b.c",
        10,
        None,
    )
    ota = OtaInfo.from_raw(
        {
            "deviceid": "d",
            "version": "2.0",
            "binList": [{"name": "u.bin", "downloadUrl": "http://x/u.bin"}],
        }
    )
    assert ota.bin_list[0].digest is None
    assert ota.bin_list[0].to_wire() == {"name": "u.bin", "downloadUrl": "http://x/u.bin"}
    assert Thing.from_raw({}).id == ""


def test_command_result_mapping() -> None:
    assert CommandResult.from_error(0, None, "1").status is CommandStatus.OK
    assert CommandResult.from_error(503, None, "1").status is CommandStatus.OFFLINE
    assert CommandResult.from_error(504, None, "1").status is CommandStatus.TIMEOUT
    other = CommandResult.from_error(411, None, "1")
    assert other.status is CommandStatus.ERROR
    assert other.error == 411
    assert not other.ok
