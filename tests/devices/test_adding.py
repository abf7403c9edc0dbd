"""Adding devices from the dashboard, and the account overview, against cloudsim: each added
device is the account's in the cloud, in the home and room chosen, and a Thing here announced
to the pages and the live worker; every refusal is in words and changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

import ewelink
from accounts.signals import household_event
from devices import adding
from devices.account_overview import account_overview
from devices.models import Home, LayoutAction, Room, Thing
from devices.sync import sync_account
from devices.thing_actions import ActionFailed
from tests.fixtures.cloud import link_demo_us

pytestmark = pytest.mark.integration

US = "demo-us@example.com"
QR = "https://api.coolkit.cc:8080/api/user/device/addGsm?id={}"


_link = link_demo_us  # the demo's US account, linked and synced


def _factory(cloud: Any, name: str) -> dict[str, Any]:
    return next(d for d in cloud.control("GET", "/factory-devices") if d["name"] == name)


@pytest.fixture
def announced() -> Iterator[list[dict[str, Any]]]:
    """The structure events announced while the test runs."""
    seen: list[dict[str, Any]] = []

    def keep(sender: Any, payload: dict[str, Any], **kwargs: Any) -> None:
        seen.append(payload)

    household_event.connect(keep)
    yield seen
    household_event.disconnect(keep)


def test_an_admin_adds_a_wifi_device_into_a_room(owner, cloud, unscoped, announced) -> None:
    account = _link(owner)
    garage = Room.objects.get(home__account=account, name="Garage")
    switch = _factory(cloud, "Two-gang switch")
    thing = adding.add_wifi_device(
        owner.membership, account, deviceid=switch["deviceid"].upper() + " ",
        api_key=f" {switch['devicekey']} ", name=" Shed  lights ",
        place=adding.Place(garage.home, garage),
    )  # fmt: skip

    sim = cloud.control("GET", f"/devices/{switch['deviceid']}")
    assert (sim["owner"], sim["familyid"], sim["roomid"]) == (
        account.apikey,
        garage.home.cloud_id,
        garage.cloud_id,
    )
    assert sim["name"] == "Shed lights"
    thing.refresh_from_db()
    assert (thing.account, thing.home, thing.room, thing.uiid) == (account, garage.home, garage, 2)
    assert thing.cloud_id == switch["deviceid"]
    assert thing.item_type == 1
    assert thing.params == sim["params"]  # written as a sync writes it
    after = sync_account(account.pk)  # written as a sync writes it: nothing to change
    assert (after.created["things"], after.updated["things"]) == (0, 0)
    event = announced[-1]
    assert thing.pk in event["things"]
    assert account.pk in event["accounts"]
    action = LayoutAction.objects.get(action="device_add")
    assert (action.result, action.subject) == ("ok", "Shed lights")
    assert switch["devicekey"] not in str(action.detail)


def test_a_wrong_api_key_is_the_digest_error_in_words(owner, cloud, unscoped) -> None:
    account = _link(owner)
    plug = _factory(cloud, "Smart plug")
    house = Home.objects.get(account=account)
    with pytest.raises(ActionFailed) as refused:
        adding.add_wifi_device(
            owner.membership, account, deviceid=plug["deviceid"], api_key="not-the-key",
            name="Plug", place=adding.Place(house, None),
        )  # fmt: skip
    assert "API key does not belong to that device ID" in refused.value.message
    assert cloud.control("GET", f"/devices/{plug['deviceid']}")["owner"] is None
    assert not Thing.objects.filter(cloud_id=plug["deviceid"]).exists()
    failed = LayoutAction.objects.get(action="device_add")
    assert failed.result == "failed"
    assert "not-the-key" not in str(failed.detail)


def test_a_gsm_device_is_added_by_its_whole_qr_url_once(owner, cloud, unscoped) -> None:
    account = _link(owner)
    gsm = _factory(cloud, "GSM switch")
    house = Home.objects.get(account=account)
    thing = adding.add_gsm_device(
        owner.membership, account, code=QR.format(gsm["gsmId"]), name="Gate",
        place=adding.Place(house, None),
    )  # fmt: skip
    sim = cloud.control("GET", f"/devices/{gsm['deviceid']}")
    assert (sim["owner"], sim["familyid"], sim["roomid"]) == (account.apikey, house.cloud_id, "")
    assert (thing.home, thing.room, thing.name) == (house, None, "Gate")
    recorded = LayoutAction.objects.get(action="device_add", result="ok")
    assert gsm["gsmId"] not in str(recorded.detail)
    with pytest.raises(ActionFailed) as again:
        adding.add_gsm_device(
            owner.membership, account, code=gsm["gsmId"], name="Gate",
            place=adding.Place(house, None),
        )  # fmt: skip
    assert "already in another eWeLink account" in again.value.message


def test_members_are_refused_before_the_cloud(owner, member, cloud, unscoped) -> None:
    account = _link(owner)
    plug = _factory(cloud, "Smart plug")
    house = Home.objects.get(account=account)
    with pytest.raises(PermissionDenied):
        adding.add_wifi_device(
            member.membership, account, deviceid=plug["deviceid"], api_key=plug["devicekey"],
            name="Mine", place=adding.Place(house, None),
        )  # fmt: skip
    url = reverse("dashboard:device_add", args=[account.pk])
    assert member.client.get(url).status_code == 403
    posted = {"kind": "wifi", "deviceid": plug["deviceid"], "api_key": plug["devicekey"],
              "name": "Mine", "place": f"home-{house.pk}"}  # fmt: skip
    assert member.client.post(url, posted).status_code == 403
    assert cloud.control("GET", f"/devices/{plug['deviceid']}")["owner"] is None


def test_the_page_keeps_the_fields_but_never_the_key(owner, cloud, unscoped) -> None:
    account = _link(owner)
    plug = _factory(cloud, "Smart plug")
    office = Room.objects.get(home__account=account, name="Office")
    url = reverse("dashboard:device_add", args=[account.pk])
    posted = {"kind": "wifi", "deviceid": plug["deviceid"], "api_key": "wrong-key-123",
              "name": "Desk plug", "place": f"room-{office.pk}"}  # fmt: skip
    page = owner.client.post(url, posted).content.decode()
    assert "digest error" in page
    assert f'value="{plug["deviceid"]}"' in page
    assert 'value="Desk plug"' in page
    assert f'value="room-{office.pk}" selected' in page
    assert "wrong-key-123" not in page
    added = owner.client.post(url, posted | {"api_key": plug["devicekey"]})
    assert added.status_code == 302
    assert Thing.objects.get(cloud_id=plug["deviceid"]).room == office
    assert plug["devicekey"] not in owner.client.get(url).content.decode()


def test_a_place_of_another_account_is_refused(owner, cloud, unscoped) -> None:
    account = _link(owner)
    from tests.factories import LinkedAccountFactory

    other = LinkedAccountFactory(household=owner.household)
    room = Room.objects.get(home__account=account, name="Office")
    with pytest.raises(ActionFailed):
        adding.parse_place(other, f"room-{room.pk}")
    assert adding.parse_place(account, f"room-{room.pk}").room == room
    for bad in ("", "home-x", "room-", f"home-{room.pk + 10_000}"):
        with pytest.raises(ActionFailed):
            adding.parse_place(account, bad)


def test_the_overview_counts_what_the_cloud_counts(owner, member, guest, cloud, unscoped) -> None:
    account = _link(owner)
    summary = account_overview(account)
    own = [d for d in cloud.control("GET", "/devices") if d["owner"] == account.apikey]
    assert (summary.nickname, summary.region, summary.current_home) == ("Sam", "us", "House")
    assert (summary.homes, summary.rooms) == (1, 3)
    assert (summary.devices, summary.shared, summary.groups) == (len(own), 0, 0)
    url = reverse("dashboard:account_overview", args=[account.pk])
    page = member.client.get(url).content.decode()
    assert 'data-overview="devices">' + str(len(own)) in page
    assert account.apikey not in page
    assert guest.client.get(url).status_code == 403
    homes_page = reverse("dashboard:homes")
    assert url in member.client.get(homes_page).content.decode()
    assert url not in guest.client.get(homes_page).content.decode()
    add_url = reverse("dashboard:device_add", args=[account.pk])
    assert add_url not in member.client.get(homes_page).content.decode()
    assert add_url in owner.client.get(homes_page).content.decode()


def test_input_is_checked_before_the_cloud() -> None:
    assert adding.gsm_id_from(QR.format("abc123")) == "abc123"
    assert adding.gsm_id_from("https://other.example/x/addGsm?id=ff00&lang=en") == "ff00"
    assert adding.gsm_id_from("  ff00 ") == "ff00"
    for bad in ("", "https://api.coolkit.cc/addGsm", "id with spaces"):
        with pytest.raises(ActionFailed):
            adding.gsm_id_from(bad)
    assert adding.clean_deviceid(" 1000ABCDEF ") == "1000abcdef"
    for bad in ("", "1000abcdeg", "1000abcdef0"):
        with pytest.raises(ActionFailed):
            adding.clean_deviceid(bad)
    with pytest.raises(ActionFailed):
        adding.clean_api_key("two words")


@pytest.mark.parametrize("code", sorted(adding.ADD_REFUSALS))
def test_every_device_error_of_the_document_is_said_in_words(code: int) -> None:
    words = adding.explain_add(ewelink.errors.error_for_code(code, "cloud words"))
    assert words == adding.ADD_REFUSALS[code]
    assert str(code) in words
    assert "cloud words" not in words


def test_the_digest_is_the_documents() -> None:
    # The API document's example: sha256("123").
    assert hashlib.sha256(b"123").hexdigest().startswith("a665a459")
    from ewelink.signing import device_digest

    assert device_digest("12", "3") == hashlib.sha256(b"123").hexdigest()
