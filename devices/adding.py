"""Adding a device to a linked account from the dashboard (`/v2/device/add`, `/v2/device/add-gsm`).

A Wi-Fi device is added by its device id and the API key printed on its box: the cloud wants
only `sha256(deviceid + API key)` (the "digest"), so the key is used for that one hash and is
never stored, logged or shown again. A GSM device is added by the id in the URL of its QR
code. Either way the device goes to the home and room chosen, the cloud first: only once it
accepted is the Thing written (as a sync writes it) and announced, so every open dashboard
shows the new card and the account's live worker takes the device up. Admins and owners only;
each attempt is a `LayoutAction` ("device_add") on the homes page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import ewelink
from accounts.models import LinkedAccount, Membership, Role
from devices.homes import clean_name
from devices.layout_actions import perform_layout
from devices.models import Home, Room, Thing
from devices.structure import StructureChange
from devices.sync import store_thing
from devices.thing_actions import ActionFailed, CloudCall, cloud_message
from devices.thing_settings import require
from ewelink.signing import device_digest

WIFI, GSM = "wifi", "gsm"
DEVICEID = re.compile(r"^[0-9a-f]{10}$")  # what the cloud accepts (else 30010)
GSM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_API_KEY = 100
TRY_IN_THE_APP = "If it goes on, add it with the eWeLink app."

# The cloud's refusals of an added device (the API document's [Device] codes), in words.
ADD_REFUSALS: dict[int, str] = {
    30003: (
        "The eWeLink cloud could not reach the GSM device to finish adding it (error 30003). "
        "Check that it is powered and has signal, then try again."
    ),
    30007: (
        "This GSM device is already in another eWeLink account (error 30007). Its owner has "
        "to delete it from their account before it can be added here."
    ),
    30009: (
        "This eWeLink account has reached what its subscription plan allows (error 30009), "
        "so the cloud takes no more here. Remove something, or change the plan."
    ),
    30010: (
        "That device ID is not in the form the eWeLink cloud expects (error 30010): it is "
        "10 characters, digits and the letters a to f, as printed on the device or its box."
    ),
    30011: "The eWeLink cloud has no factory record for this device (error 30011).",
    30012: "The eWeLink cloud's factory record of this device is incomplete (error 30012).",
    30013: "The eWeLink cloud does not know the brand of this device (error 30013).",
    30014: "The eWeLink cloud refused the device's chip id (error 30014).",
    30015: (
        "The API key does not belong to that device ID (digest error, 30015): check both "
        "against the label on the device or its box and type the key again."
    ),
    30016: (
        "The eWeLink cloud does not know this server's app id (error 30016), so it adds no "
        "devices through it."
    ),
    30017: (
        "This server's eWeLink app is not allowed to add devices of this brand (error "
        "30017): the device maker has to authorise it. Add it with the eWeLink app instead."
    ),
    30018: (
        "The eWeLink cloud knows no device with that ID (error 30018). Check the ID (or the "
        "QR code) against the label on the device."
    ),
}
REFUSED_BY_KIND: dict[type[ewelink.EWeLinkError], str] = {
    ewelink.PermissionDeniedError: (
        "This device belongs to another eWeLink account: its owner has to delete it from "
        "their account before it can be added here."
    ),
    ewelink.NotFoundError: (
        "The eWeLink cloud no longer knows the home or room chosen: it was probably changed "
        "in the eWeLink app. Resync the account and choose again."
    ),
    ewelink.BadRequestError: "The eWeLink cloud did not accept these details (error 400).",
}


@dataclass(frozen=True)
class Place:
    """Where a new device goes: a home of the account and, optionally, one of its rooms."""

    home: Home
    room: Room | None

    @property
    def value(self) -> str:
        return f"room-{self.room.pk}" if self.room else f"home-{self.home.pk}"

    def __str__(self) -> str:
        return f"{self.home.name} — {self.room.name if self.room else 'no room'}"


def homes_of(account: LinkedAccount) -> list[Home]:
    """The account's homes in order, rooms prefetched: the choices of the place list."""
    homes = Home.objects.filter(account=account).prefetch_related("rooms")
    return list(homes.order_by("-is_current", "index", "name", "pk"))


def place_choices(homes: list[Home]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(home label, [(value, label) of the home itself and each room]) for a select list."""
    return [
        (
            f"{home.name} (current home)" if home.is_current else home.name,
            [(Place(home, None).value, f"{home.name} — no room")]
            + [
                (Place(home, room).value, f"{home.name} — {room.name}") for room in home.rooms.all()
            ],
        )
        for home in homes
    ]


def parse_place(account: LinkedAccount, raw: str) -> Place:
    """`home-<pk>` (no room) or `room-<pk>`, of this account only."""
    kind, _, pk = raw.partition("-")
    if pk.isdigit() and kind == "home":
        home = Home.objects.filter(account=account, pk=int(pk)).first()
        if home is not None:
            return Place(home, None)
    if pk.isdigit() and kind == "room":
        room = Room.objects.filter(home__account=account, pk=int(pk)).select_related("home")
        found = room.first()
        if found is not None:
            return Place(found.home, found)
    raise ActionFailed("Choose the home and room the device goes to.")


def clean_deviceid(raw: str) -> str:
    deviceid = raw.strip().lower()
    if not deviceid:
        raise ActionFailed("Type the device ID printed on the device or its box.")
    if not DEVICEID.match(deviceid):
        raise ActionFailed(ADD_REFUSALS[30010])
    return deviceid


def clean_api_key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise ActionFailed("Type the device's API key, printed on the device or its box.")
    if len(key) > MAX_API_KEY or any(c.isspace() for c in key):
        raise ActionFailed("That does not look like a device API key: check the label again.")
    return key


def gsm_id_from(raw: str) -> str:
    """The gsmId of a GSM device: its QR code URL (`…/addGsm?id={gsmId}`, the domain may
    change) pasted whole, or the id alone."""
    text = raw.strip()
    if "?" in text or "/" in text:
        ids = parse_qs(urlsplit(text).query).get("id") or [""]
        text = ids[0].strip()
    if not text:
        raise ActionFailed(
            "Paste the URL of the device's QR code (it ends in addGsm?id=…), or just its id."
        )
    if not GSM_ID.match(text):
        raise ActionFailed("That is not the id of a GSM device's QR code: check it again.")
    return text


def add_wifi_device(
    actor: Membership,
    account: LinkedAccount,
    *,
    deviceid: str,
    api_key: str,
    name: str,
    place: Place,
) -> Thing:
    """Add a Wi-Fi device by its id and API key (used for the digest, then forgotten)."""
    require(actor, Role.ADMIN, "Adding a device")
    clean = clean_name(name, "The device")
    deviceid = clean_deviceid(deviceid)
    digest = device_digest(deviceid, clean_api_key(api_key))

    async def call(client: ewelink.EWeLinkClient) -> list[ewelink.Thing]:
        added = await client.add_device(
            name=clean,
            deviceid=deviceid,
            digest=digest,
            familyid=place.home.cloud_id,
            roomid=_roomid(place),
        )
        return [added]

    return _add(actor, account, WIFI, clean, place, call, {"deviceid": deviceid})


def add_gsm_device(
    actor: Membership, account: LinkedAccount, *, code: str, name: str, place: Place
) -> Thing:
    """Add a GSM device by the id of its QR code (the URL pasted whole works)."""
    require(actor, Role.ADMIN, "Adding a device")
    clean = clean_name(name, "The device")
    gsm_id = gsm_id_from(code)

    async def call(client: ewelink.EWeLinkClient) -> list[ewelink.Thing]:
        return await client.add_gsm_device(
            gsm_id=gsm_id, name=clean, familyid=place.home.cloud_id, roomid=_roomid(place)
        )

    # The QR id is what lets anyone claim the device, like a Wi-Fi device's key: not recorded.
    return _add(actor, account, GSM, clean, place, call, {})


def _roomid(place: Place) -> str | None:
    """None puts the device in the home's [Unallocated] part, as the cloud does."""
    return place.room.cloud_id if place.room is not None else None


def _add(
    actor: Membership,
    account: LinkedAccount,
    kind: str,
    name: str,
    place: Place,
    call: CloudCall[list[ewelink.Thing]],
    detail: dict[str, str],
) -> Thing:
    def apply(added: list[ewelink.Thing]) -> tuple[Thing, StructureChange]:
        if not added:
            raise ActionFailed("The eWeLink cloud said it added the device but sent none back.")
        change = StructureChange()
        things = [store_thing(account, item, change) for item in added]
        return things[0], change  # announced with its account: the live worker reloads

    room = place.room.name if place.room else ""
    detail = detail | {"kind": kind, "home": place.home.name, "room": room}
    thing: Thing = perform_layout(
        actor, account, "device_add", name, call, apply, detail, words=explain_add
    )
    return thing


def explain_add(error: ewelink.EWeLinkError) -> str:
    """The cloud's refusal of an added device, in words."""
    code = getattr(error, "code", None)
    if code in ADD_REFUSALS:
        return ADD_REFUSALS[code]
    for kind, words in REFUSED_BY_KIND.items():
        if isinstance(error, kind):
            return words
    return cloud_message(error)
