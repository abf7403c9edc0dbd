"""Everything the simulated cloud remembers: accounts, tokens, homes, devices, groups."""

from __future__ import annotations

import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Room:
    id: str
    name: str
    index: int


@dataclass
class Family:
    id: str
    name: str
    index: int
    owner: str
    rooms: list[Room] = field(default_factory=list)


@dataclass
class Account:
    apikey: str
    userid: str
    region: str
    password: str
    country_code: str
    email: str | None = None
    phone: str | None = None
    nickname: str = ""
    current_family: str = ""
    accept_email_ad: bool = False
    account_consult: bool = False
    created_ms: int = field(default_factory=now_ms)

    @property
    def login_name(self) -> str:
        return self.phone or self.email or self.apikey

    def user_json(self) -> dict[str, Any]:
        """The `user` object of the login and profile responses."""
        user: dict[str, Any] = {
            "apikey": self.apikey,
            "countryCode": self.country_code,
            "nickname": self.nickname,
            "accountLevel": 10,
            "levelExpiredAt": 0,
            "denyRecharge": False,
            "accountConsult": self.account_consult,
            "acceptEmailAd": self.accept_email_ad,
        }
        if self.email:
            user["email"] = self.email
        if self.phone:
            user["phoneNumber"] = self.phone
        return user


@dataclass
class Token:
    at: str
    rt: str
    apikey: str
    appid: str
    at_expires: float
    rt_expires: float
    oauth: bool = False


@dataclass
class Share:
    apikey: str
    permit: int
    comment: str = ""
    share_time: int = field(default_factory=now_ms)
    familyid: str = ""
    index: int = 0


@dataclass
class Device:
    deviceid: str
    uiid: int
    name: str
    owner: str | None
    devicekey: str
    params: dict[str, Any] = field(default_factory=dict)
    online: bool = True
    familyid: str = ""
    roomid: str = ""
    index: int = 0
    brand_name: str = "SONOFF"
    product_model: str = ""
    fw_version: str = "3.7.0"
    tags: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(
        default_factory=lambda: {"opsNotify": 0, "opsHistory": 1, "alarmNotify": 1}
    )
    shares: dict[str, Share] = field(default_factory=dict)
    parentid: str | None = None
    ota_version: str | None = None
    gsm_id: str | None = None
    ota_outcome: str = "succeed"  # what the next `upgrade` does: succeed, fail or hang
    ota_hung: bool = False  # offline after a hung upgrade, until the control API revives it
    unresponsive: bool = False
    reply_delay_ms: int = 0
    ui_active_until: float = 0.0

    def visible_to(self, apikey: str) -> bool:
        return self.owner == apikey or apikey in self.shares


@dataclass
class Group:
    id: str
    name: str
    owner: str
    main_deviceid: str
    uiid: int
    familyid: str
    roomid: str = ""
    index: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    deviceids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class HistoryEntry:
    deviceid: str
    user_agent: str
    ops_switchs: list[str]
    request: Any  # the params as sent; serialized to a string only when read
    ops_account: str
    ops_time: int


@dataclass
class Message:
    msgid: str
    owner: str
    familyid: str
    msg_type: str
    message: dict[str, Any]
    date: int


@dataclass
class OAuthCode:
    code: str
    apikey: str
    appid: str
    redirect_url: str
    region: str
    expires: float


HISTORY_CAP = 100  # entries kept per device; bounds memory under sustained load
MESSAGE_CAP = 500


class SimState:
    """The cloud's database, with the indexes the hot paths need."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.accounts: dict[str, Account] = {}
        self.families: dict[str, Family] = {}
        self.devices: dict[str, Device] = {}
        self.groups: dict[str, Group] = {}
        self.tokens_by_at: dict[str, Token] = {}
        self.tokens_by_rt: dict[str, Token] = {}
        self.history: dict[str, deque[HistoryEntry]] = {}
        self.messages: list[Message] = []
        self.oauth_codes: dict[str, OAuthCode] = {}
        self.code_sends: dict[str, list[float]] = {}
        self.verification_codes: dict[str, str] = {}
        self.devices_by_owner: dict[str, list[str]] = {}
        # Devices whose `timers` changed since the timer runner last looked (its index).
        self.timers_changed: set[str] = set()
        self.dirty = False
        self._login_index: dict[str, Account] = {}

    # ---- ids -------------------------------------------------------------
    def hex_id(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def uuid_like(self) -> str:
        h = self.hex_id(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def new_deviceid(self) -> str:
        while True:
            deviceid = "100" + self.hex_id(7)
            if deviceid not in self.devices:
                return deviceid

    def token_string(self) -> str:
        return self.hex_id(40)

    # ---- accounts --------------------------------------------------------
    def find_account(self, email: str | None, phone: str | None) -> Account | None:
        """Phone is checked first, as the cloud does; email is case-insensitive."""
        if phone and phone in self._login_index:
            return self._login_index[phone]
        return self._login_index.get(email.lower()) if email else None

    def add_account(self, account: Account) -> Account:
        self.accounts[account.apikey] = account
        for name in (account.phone, account.email):
            if name:
                self._login_index[name] = account
        self.devices_by_owner.setdefault(account.apikey, [])
        self.dirty = True
        return account

    def remove_account(self, apikey: str) -> None:
        account = self.accounts.pop(apikey)
        for name in (account.phone, account.email):
            self._login_index.pop(name or "", None)
        self.devices_by_owner.pop(apikey, None)
        self.dirty = True

    def families_of(self, apikey: str) -> list[Family]:
        return sorted(
            (f for f in self.families.values() if f.owner == apikey), key=lambda f: f.index
        )

    def room_family(self, roomid: str) -> Family | None:
        for family in self.families.values():
            if any(room.id == roomid for room in family.rooms):
                return family
        return None

    # ---- devices ---------------------------------------------------------
    def add_device(self, device: Device) -> Device:
        self.devices[device.deviceid] = device
        self.timers_changed.add(device.deviceid)
        if device.owner:
            self.devices_by_owner.setdefault(device.owner, []).append(device.deviceid)
        self.dirty = True
        return device

    def set_owner(self, device: Device, owner: str | None) -> None:
        if device.owner:
            owned = self.devices_by_owner.get(device.owner, [])
            if device.deviceid in owned:
                owned.remove(device.deviceid)
        device.owner = owner
        if owner:
            self.devices_by_owner.setdefault(owner, []).append(device.deviceid)
        self.dirty = True

    def devices_visible_to(self, apikey: str) -> list[Device]:
        owned = [self.devices[d] for d in self.devices_by_owner.get(apikey, [])]
        shared = [d for d in self.devices.values() if apikey in d.shares]
        return owned + shared

    def children_of(self, bridge_id: str) -> list[Device]:
        return [d for d in self.devices.values() if d.parentid == bridge_id]

    def next_index(self, familyid: str, smaller: bool) -> int:
        """Sort rule 1 = a smaller index than every thing in the home, 2 = larger."""
        family = self.families.get(familyid)
        owned = self.devices_by_owner.get(family.owner, []) if family else []
        indexes = [self.devices[d].index for d in owned if self.devices[d].familyid == familyid]
        indexes += [g.index for g in self.groups.values() if g.familyid == familyid]
        if not indexes:
            return 0
        return min(indexes) - 1 if smaller else max(indexes) + 1

    # ---- history and messages -------------------------------------------
    def add_history(self, entry: HistoryEntry) -> None:
        entries = self.history.get(entry.deviceid)
        if entries is None:
            entries = self.history[entry.deviceid] = deque(maxlen=HISTORY_CAP)
        entries.append(entry)
        self.dirty = True

    def add_message(
        self, owner: str, familyid: str, msg_type: str, body: dict[str, Any]
    ) -> Message:
        msg = Message(self.hex_id(24), owner, familyid, msg_type, body, now_ms())
        self.messages.append(msg)
        if len(self.messages) > MESSAGE_CAP * 4:
            del self.messages[:MESSAGE_CAP]
        self.dirty = True
        return msg
