"""Creating accounts and homes; shared by the REST API, the control API and the demo."""

from __future__ import annotations

from typing import Any

from . import REGIONS
from .responses import HOME_LIMIT, ApiError
from .state import Account, Family, Room, SimState

ROOM_LIMIT = 100


def create_account(
    state: SimState,
    region: str,
    password: str,
    country_code: str,
    email: str | None = None,
    phone: str | None = None,
    nickname: str = "",
) -> Account:
    """A new account with its default home, as the cloud creates on sign-up."""
    if region not in REGIONS:
        raise ValueError(f"region must be one of {REGIONS}")
    if not email and not phone:
        raise ValueError("email or phoneNumber is required")
    if state.find_account(email, phone) is not None:
        raise ValueError("account exists")
    account = Account(
        apikey=state.uuid_like(),
        userid=state.hex_id(24),
        region=region,
        password=password,
        country_code=country_code,
        email=email.lower() if email else None,
        phone=phone,
        nickname=nickname or (email or phone or "").split("@")[0],
    )
    state.add_account(account)
    home = add_family(state, account, "My Home", [], smaller=False)
    account.current_family = home.id
    return account


def add_family(
    state: SimState, account: Account, name: str, room_names: list[str], smaller: bool
) -> Family:
    indexes = [f.index for f in state.families_of(account.apikey)]
    index = 0 if not indexes else (min(indexes) - 1 if smaller else max(indexes) + 1)
    family = Family(state.hex_id(24), name, index, account.apikey)
    state.families[family.id] = family
    for room_name in room_names:
        add_room(state, family, room_name, smaller=False)
    state.dirty = True
    return family


def add_room(state: SimState, family: Family, name: str, smaller: bool) -> Room:
    if len(family.rooms) >= ROOM_LIMIT:
        raise ApiError(HOME_LIMIT, "room limit reached")
    indexes = [r.index for r in family.rooms]
    index = 0 if not indexes else (min(indexes) - 1 if smaller else max(indexes) + 1)
    room = Room(state.hex_id(24), name, index)
    family.rooms.append(room)
    family.rooms.sort(key=lambda r: r.index)
    state.dirty = True
    return room


def family_json(family: Family) -> dict[str, Any]:
    rooms = [{"id": r.id, "name": r.name, "index": r.index} for r in family.rooms]
    return {"id": family.id, "name": family.name, "index": family.index, "roomList": rooms}


def account_json(account: Account) -> dict[str, Any]:
    """What the control API shows about an account (never the tokens)."""
    out: dict[str, Any] = {
        "apikey": account.apikey,
        "userid": account.userid,
        "region": account.region,
        "countryCode": account.country_code,
        "nickname": account.nickname,
        "currentFamilyId": account.current_family,
    }
    if account.email:
        out["email"] = account.email
    if account.phone:
        out["phoneNumber"] = account.phone
    return out
