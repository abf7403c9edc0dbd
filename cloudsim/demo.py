"""`--demo`: a deterministic household spread over two regions (same ids on every run).

Sharing only works within one region (notes §5, DOCS FAQ), so the shared devices go from
the eu account to a second eu account, `demo-eu-guest@example.com`.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .accounts import account_json, add_family, create_account
from .device_changes import record_history
from .inventory import create_device, create_group
from .sharing import share_device
from .state import Account, Family

if TYPE_CHECKING:
    from .cloud import Cloud

DEMO_SEED = 20260214
FACTORY_SEED = 20261202
ACCOUNTS = (
    ("eu", "demo-eu@example.com", "demo-eu-pass", "+44", "Alex"),
    ("us", "demo-us@example.com", "demo-us-pass", "+1", "Sam"),
    ("eu", "demo-eu-guest@example.com", "demo-guest-pass", "+49", "Robin"),
)

# (name, uiid, room, extras) — extras: parent (name of the bridge), ota, online, params, tags
EU_FLAT: list[tuple[str, int, str, dict[str, Any]]] = [
    ("Kitchen light", 1, "Kitchen", {"ota": "3.7.2"}),
    ("Pantry light", 1, "Kitchen", {}),
    ("Worktop lights", 2, "Kitchen", {"tags": {"ck_channel_name": {"0": "Left", "1": "Right"}}}),
    (
        "Dishwasher plug",
        32,
        "Kitchen",
        {"params": {"switch": "on", "power": "12.40", "current": "0.05"}},
    ),
    ("Fridge plug", 190, "Kitchen", {"params": {"power": 8650, "voltage": 23010, "current": 38}}),
    ("Living room dimmer", 44, "Living room", {}),
    ("Sofa lamp", 22, "Living room", {}),
    ("TV backlight", 59, "Living room", {}),
    (
        "RF remote bridge",
        28,
        "Living room",
        {
            "tags": {
                "zyx_info": [
                    {
                        "remote_type": "4",
                        "name": "Gate",
                        "buttonName": [{"0": "Open"}, {"1": "Close"}],
                    }
                ]
            }
        },
    ),
    ("Reading lamp", 103, "Bedroom", {}),
    ("Bedside colour bulb", 104, "Bedroom", {}),
    ("Bedroom blinds", 11, "Bedroom", {}),
    ("Ceiling fan", 34, "Bedroom", {}),
    ("Hall thermostat", 15, "Hall", {"params": {"currentTemperature": "20.7"}}),
    ("Boiler and pump", 126, "Hall", {}),
    ("Garage door sensor", 102, "Hall", {}),
    ("Zigbee bridge", 168, "Hall", {}),
    ("Hall motion sensor", 2026, "Hall", {"parent": "Zigbee bridge"}),
    ("Front door sensor", 3026, "Hall", {"parent": "Zigbee bridge"}),
    ("Stair lights", 2256, "Hall", {"parent": "Zigbee bridge"}),
    ("Bathroom leak sensor", 4026, "Bedroom", {"parent": "Zigbee bridge"}),
    ("Kitchen smoke alarm", 5026, "Kitchen", {"parent": "Zigbee bridge"}),
    ("Living room radiator", 7017, "Living room", {"parent": "Zigbee bridge"}),
    ("Living room climate", 1770, "Living room", {"parent": "Zigbee bridge"}),
    ("Ceiling light", 3258, "Living room", {"parent": "Zigbee bridge"}),
    ("Bedroom curtain", 1514, "Bedroom", {"parent": "Zigbee bridge"}),
]
EU_COTTAGE: list[tuple[str, int, str, dict[str, Any]]] = [
    ("Cottage heater", 1, "Main room", {"online": False}),
    ("Garden lights", 4, "Garden", {"ota": "3.8.0"}),
]
US_HOME: list[tuple[str, int, str, dict[str, Any]]] = [
    ("Garage light", 1, "Garage", {}),
    ("Office power strip", 4, "Office", {"ota": "3.8.0"}),
    ("Panel circuits", 130, "Garage", {}),
    ("Pool pump", 5, "Garage", {"params": {"switch": "on", "power": "740.00"}}),
    ("Porch bridge", 66, "Living room", {}),
    ("Porch light", 1257, "Living room", {"parent": "Porch bridge"}),
]
# Unowned devices "still in their box", for adding from the dashboard: (name, uiid, gsmId).
# Their deviceid and API key are listed by `GET /_sim/factory-devices`.
FACTORY: list[tuple[str, int, str | None]] = [
    ("Smart plug", 1, None),
    ("Two-gang switch", 2, None),
    ("GSM switch", 24, "348512d49379bb0acace4598e14fc450"),
]


def load(cloud: Cloud) -> None:
    """Fill the (fresh) state with the demo household."""
    state = cloud.state
    state.rng = random.Random(DEMO_SEED)
    made = [create_account(state, r, pw, cc, email=e, nickname=n) for r, e, pw, cc, n in ACCOUNTS]
    eu, us, guest = made
    flat = rename_home(cloud, eu, "Flat", ["Kitchen", "Living room", "Bedroom", "Hall"])
    cottage = add_family(state, eu, "Holiday cottage", ["Main room", "Garden"], smaller=False)
    house = rename_home(cloud, us, "House", ["Living room", "Garage", "Office"])
    ids = furnish(cloud, eu, flat, EU_FLAT) | furnish(cloud, eu, cottage, EU_COTTAGE)
    furnish(cloud, us, house, US_HOME)
    create_group(state, eu.apikey, "Kitchen lights", [ids["Kitchen light"], ids["Pantry light"]])
    for name in ("Sofa lamp", "Hall thermostat"):
        share_device(state, state.devices[ids[name]], guest, permit=15, comment="demo share")
    write_history(cloud, eu, ids)
    body = {
        "deviceid": ids["Kitchen smoke alarm"],
        "deviceName": "Kitchen smoke alarm",
        "alarm": "smoke",
    }
    state.add_message(eu.apikey, flat.id, "alarmNotify_v2", body)
    cloud.demo_accounts = [
        account_json(a) | {"password": spec[2]} for a, spec in zip(made, ACCOUNTS, strict=True)
    ]
    stock_factory(cloud)


def stock_factory(cloud: Cloud) -> None:
    """The FACTORY devices, drawn from a random source of their own: every id the demo (and
    whatever runs after it) draws from the state's source stays what it was without them."""
    state = cloud.state
    demo_rng, state.rng = state.rng, random.Random(FACTORY_SEED)
    try:
        for name, uiid, gsm_id in FACTORY:
            create_device(state, {"uiid": uiid, "name": name, "gsmId": gsm_id})
    finally:
        state.rng = demo_rng


def rename_home(cloud: Cloud, account: Account, name: str, rooms: list[str]) -> Family:
    from .accounts import add_room

    home = cloud.state.families[account.current_family]
    home.name = name
    for room in rooms:
        add_room(cloud.state, home, room, smaller=False)
    return home


def furnish(
    cloud: Cloud,
    account: Account,
    home: Family,
    devices: list[tuple[str, int, str, dict[str, Any]]],
) -> dict[str, str]:
    rooms = {r.name: r.id for r in home.rooms}
    ids: dict[str, str] = {}
    for name, uiid, room, extras in devices:
        spec: dict[str, Any] = {
            "owner": account.apikey,
            "uiid": uiid,
            "name": name,
            "familyid": home.id,
            "roomid": rooms[room],
            "params": extras.get("params"),
            "online": extras.get("online", True),
        }
        if "parent" in extras:
            spec["parentid"] = ids[extras["parent"]]
        if "ota" in extras:
            spec["ota"] = {"version": extras["ota"]}
        device = create_device(cloud.state, spec)
        device.tags = extras.get("tags", {})
        ids[name] = device.deviceid
    return ids


def write_history(cloud: Cloud, account: Account, ids: dict[str, str]) -> None:
    state = cloud.state
    for name, change in (
        ("Kitchen light", {"switch": "on"}),
        ("Kitchen light", {"switch": "off"}),
        ("Worktop lights", {"switches": [{"switch": "on", "outlet": 1}]}),
    ):
        record_history(cloud, state.devices[ids[name]], change, "app", account.login_name)
    record_history(cloud, state.devices[ids["Front door sensor"]], {"lock": 1}, "device", "")
