"""A household of N things as a sync would store it: cloudsim's devices through `devices.sync`.

The cloud side is an in-process cloudsim `SimState` (no server, no HTTP): accounts, homes,
rooms, devices of a realistic mix of types with cloudsim's own parameter models, varied
readings and on/off states, a few offline devices and Zigbee children, device groups and
channel names. Each account's homes and thing list are turned into the wire JSON cloudsim
serves (`cloudsim.things`), parsed by the `ewelink` models and stored by
`devices.sync.apply_snapshot`, exactly the code a real sync runs after its HTTP calls.
Last updates are then spread over the past days, as a household that has lived a while.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

import ewelink
from accounts.models import Household, LinkedAccount, LinkMethod
from cloudsim.accounts import add_family, add_room, create_account, family_json
from cloudsim.inventory import create_device, create_group
from cloudsim.state import Account, Family, SimState
from cloudsim.things import family_things
from devices.models import Thing
from devices.sync import CloudSnapshot, apply_snapshot

ROOM_NAMES = (
    "Kitchen", "Living room", "Hall", "Bedroom", "Bathroom", "Office", "Garage", "Garden",
    "Dining room", "Nursery", "Utility", "Attic", "Cellar", "Porch", "Guest room", "Landing",
)  # fmt: skip
HOME_NAMES = ("Flat", "House", "Cottage", "Office", "Workshop", "Barn", "Studio", "Annex")
THINGS_PER_ROOM = 18
ROOMS_PER_HOME = 10
HOMES_PER_ACCOUNT = 3
OFFLINE_SHARE = 0.05
GROUP_SHARE = 0.03  # of things, groups of 2-4 switches or lights of one room
ZIGBEE_BRIDGE = 168

# (weight, uiids, name): what a house full of Sonoff gear looks like, by kind.
MIX: tuple[tuple[int, tuple[int, ...], str], ...] = (
    (20, (1, 6, 1256, 225, 7004), "Switch"),
    (12, (2, 3, 4, 2256, 3256), "Wall switch"),
    (16, (22, 44, 59, 103, 104, 1257, 3258), "Light"),
    (15, (2026, 3026, 4026, 5026, 102, 1000), "Sensor"),
    (10, (5, 32, 126, 130, 190), "Meter"),
    (12, (1770, 15, 7017), "Climate"),
    (4, (11, 1514, 34, 28), "Motor"),
    (1, (424242,), "Gadget"),  # a type no plugin knows: the generic card
)
ZIGBEE_CHILDREN = frozenset(
    {1256, 2256, 3256, 1257, 3258, 2026, 3026, 4026, 5026, 1000, 1770, 7017, 1514}
)
CHANNEL_NAMES = ("Left", "Right", "Middle", "Lamp", "Fan", "Socket")


@dataclass
class MadeHousehold:
    household: Household
    accounts: list[LinkedAccount]
    things: int  # rows stored (devices, bridges and groups)


def _on_off(rng: random.Random) -> str:
    return rng.choice(("on", "off"))


def _varied(uiid: int, defaults: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Readings and states differ from device to device, as in a lived-in house."""
    out: dict[str, Any] = {}
    tweaks: dict[str, Callable[[], Any]] = {
        "switch": lambda: _on_off(rng),
        "state": lambda: _on_off(rng),
        "brightness": lambda: rng.randint(1, 100),
        "bright": lambda: rng.randint(1, 100),
        "battery": lambda: rng.randint(20, 100),
        "motion": lambda: int(rng.random() < 0.1),
        "lock": lambda: int(rng.random() < 0.2),
        "water": lambda: int(rng.random() < 0.02),
        "smoke": lambda: int(rng.random() < 0.01),
        "currentTemperature": lambda: f"{rng.uniform(15, 26):.1f}",
        "currentHumidity": lambda: str(rng.randint(30, 70)),
        "curPercent": lambda: rng.randint(0, 100),
        "openPercent": lambda: rng.randint(0, 100),
    }
    for key, make in tweaks.items():
        on_off = key in ("switch", "state")  # a cover's "switch" is a motion, left as it is
        if key in defaults and (not on_off or defaults[key] in ("on", "off")):
            out[key] = make()
    if uiid in (1770, 1771, 7014):
        out["temperature"] = str(rng.randint(1500, 2700))  # hundredths of °C and %
        out["humidity"] = str(rng.randint(3000, 7000))
    if uiid == 7017:
        out["temperature"] = rng.randint(150, 240)
    if uiid in (5, 32):
        power = rng.uniform(0, 2500)
        out |= {"power": f"{power:.2f}", "voltage": f"{rng.uniform(225, 245):.2f}"}
        out |= {"current": f"{power / 230:.2f}"} if uiid == 32 else {}
    if uiid == 190:
        out |= {"power": rng.randint(0, 250000), "voltage": rng.randint(22500, 24500)}
    for n in range(4):
        if f"actPow_0{n}" in defaults:
            out[f"actPow_0{n}"] = rng.randint(0, 200000)
            out[f"voltage_0{n}"] = rng.randint(22500, 24500)
    if "switches" in defaults:
        out["switches"] = [
            {"switch": _on_off(rng), "outlet": s["outlet"]} for s in defaults["switches"]
        ]
    return out


def _tags(uiid: int, defaults: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    switches = defaults.get("switches") or []
    if len(switches) < 2 or rng.random() < 0.3:
        return {}
    names = rng.sample(CHANNEL_NAMES, len(switches)) if len(switches) <= 6 else []
    return {"ck_channel_name": {str(i): name for i, name in enumerate(names)}}


def _furnish_home(
    state: SimState, account: Account, home: Family, count: int, rng: random.Random
) -> None:
    from cloudsim.uiids import model_for

    weights = [w for w, _u, _n in MIX]
    bridge = create_device(
        state,
        {"owner": account.apikey, "uiid": ZIGBEE_BRIDGE, "name": f"{home.name} bridge",
         "familyid": home.id, "roomid": home.rooms[0].id},
    )  # fmt: skip
    made = 1
    groupable: dict[str, list[str]] = {}
    while made < count:
        _w, uiids, label = rng.choices(MIX, weights)[0]
        uiid = rng.choice(uiids)
        room = rng.choice(home.rooms)
        defaults = model_for(uiid).defaults()
        spec: dict[str, Any] = {
            "owner": account.apikey,
            "uiid": uiid,
            "name": f"{room.name} {label.lower()} {made}",
            "familyid": home.id,
            "roomid": room.id,
            "params": _varied(uiid, defaults, rng),
            "online": rng.random() > OFFLINE_SHARE,
        }
        if uiid in ZIGBEE_CHILDREN:
            spec["parentid"] = bridge.deviceid
        device = create_device(state, spec)
        device.tags = _tags(uiid, defaults, rng)
        if uiid in (1, 6, 44, 103):  # single-channel switches and lights make groups
            groupable.setdefault(room.id, []).append(device.deviceid)
        made += 1
        if rng.random() < GROUP_SHARE and len(groupable.get(room.id, [])) >= 2:
            members = groupable.pop(room.id)[:4]
            group = create_group(state, account.apikey, f"{room.name} group {made}", members)
            group.roomid = room.id
            made += 1


def _snapshot(state: SimState, account: Account) -> CloudSnapshot:
    """What `fetch_snapshot` would get from the cloud for this account."""
    families = [f for f in state.families.values() if f.owner == account.apikey]
    homes = [ewelink.models.Home.from_raw(family_json(f)) for f in families]
    things = [
        ewelink.models.Thing.from_raw(item)
        for f in families
        for item in family_things(state, account.apikey, f.id)
    ]
    return CloudSnapshot(homes, account.current_family, things)


def make_household(household: Household, things: int, seed: int = 11) -> MadeHousehold:
    """Fill `household` with about `things` things over several accounts, homes and rooms."""
    rng = random.Random(seed)
    state = SimState(seed)
    per_home = THINGS_PER_ROOM * ROOMS_PER_HOME
    home_count = max(2, round(things / per_home))
    account_count = max(1, -(-home_count // HOMES_PER_ACCOUNT))
    cloud_accounts = [
        create_account(state, "eu", "pw", "+44", email=f"scale{seed}-{i}@example.com")
        for i in range(account_count)
    ]
    for h in range(home_count):
        account = cloud_accounts[h % account_count]
        home = add_family(state, account, HOME_NAMES[h % len(HOME_NAMES)], [], smaller=False)
        rooms = max(2, min(ROOMS_PER_HOME, things // (home_count * THINGS_PER_ROOM) or 2))
        for r in range(rooms):
            add_room(state, home, ROOM_NAMES[r % len(ROOM_NAMES)], smaller=False)
        share = things // home_count + (1 if h < things % home_count else 0)
        _furnish_home(state, account, home, share, rng)
    linked = []
    with scopes_disabled():
        for i, account in enumerate(cloud_accounts):
            linked.append(
                LinkedAccount.objects.create(
                    household=household,
                    label=f"Account {i + 1}",
                    identifier=account.email or "",
                    country_code="+44",
                    region="eu",
                    apikey=account.apikey,
                    method=LinkMethod.PASSWORD,
                    access_token=f"at-{account.apikey}",
                    refresh_token=f"rt-{account.apikey}",
                )
            )
    for cloud_account, account in zip(cloud_accounts, linked, strict=True):
        apply_snapshot(account.pk, _snapshot(state, cloud_account))
    return MadeHousehold(household, linked, _age_updates(household, rng))


def _age_updates(household: Household, rng: random.Random) -> int:
    """A fresh sync says every thing changed just now; a lived-in house has older changes."""
    now = timezone.now()
    with scopes_disabled():
        rows = list(Thing.objects.filter(household=household).only("pk", "last_update_at"))
        for row in rows:
            row.last_update_at = now - timedelta(seconds=rng.expovariate(1 / 36000))
        Thing.objects.bulk_update(rows, ["last_update_at"], batch_size=500)
    return len(rows)
