"""Typed results. Each keeps the cloud's dict in ``raw`` so hosts can store unmodelled fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ewelink.errors import ProtocolError

JsonDict = dict[str, Any]

ITEM_DEVICE = 1
ITEM_SHARED_DEVICE = 2
ITEM_GROUP = 3


def as_dict(value: object, what: str) -> JsonDict:
    """The value as a dict, or a ProtocolError naming what was expected."""
    if not isinstance(value, dict):
        raise ProtocolError(f"expected an object for {what}, got {type(value).__name__}")
    return value


def _list(value: object) -> list[JsonDict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _str(raw: Mapping[str, Any], key: str, default: str = "") -> str:
    value = raw.get(key)
    return default if value is None else str(value)


def _opt_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def _int(raw: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = raw.get(key)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return default


def _obj(raw: Mapping[str, Any], key: str) -> JsonDict:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class User:
    """An eWeLink user; ``apikey`` is the user id used on the websocket."""

    apikey: str
    email: str | None
    phone_number: str | None
    country_code: str | None
    nickname: str | None
    account_level: int | None
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> User:
        return cls(
            apikey=_str(raw, "apikey"),
            email=_opt_str(raw, "email"),
            phone_number=_opt_str(raw, "phoneNumber"),
            country_code=_opt_str(raw, "countryCode"),
            nickname=_opt_str(raw, "nickname"),
            account_level=_int(raw, "accountLevel") if "accountLevel" in raw else None,
            raw=raw,
        )


@dataclass(frozen=True)
class Room:
    """A room of a home."""

    id: str
    name: str
    index: int
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Room:
        return cls(_str(raw, "id"), _str(raw, "name"), _int(raw, "index"), raw)


@dataclass(frozen=True)
class Home:
    """A home ("family" on the wire) with its rooms."""

    id: str
    name: str
    index: int
    rooms: list[Room]
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Home:
        rooms = [Room.from_raw(item) for item in _list(raw.get("roomList"))]
        return cls(_str(raw, "id"), _str(raw, "name"), _int(raw, "index"), rooms, raw)


@dataclass(frozen=True)
class Homes:
    """Result of ``GET /v2/family``."""

    homes: list[Home]
    current_id: str | None
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Homes:
        homes = [Home.from_raw(item) for item in _list(raw.get("familyList"))]
        return cls(homes, _opt_str(raw, "currentFamilyId"), raw)


@dataclass(frozen=True)
class Placement:
    """Where a device or group sits: home, room and sort index."""

    familyid: str | None
    roomid: str | None
    index: int

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Placement:
        return cls(_opt_str(raw, "familyid"), _opt_str(raw, "roomid") or None, _int(raw, "index"))


@dataclass(frozen=True)
class Device:
    """A device as the thing list describes it (``itemData`` of item types 1 and 2)."""

    deviceid: str
    name: str
    apikey: str  # the owner's apikey: send it as ``apikey`` on the websocket
    online: bool
    params: JsonDict
    uiid: int | None
    extra: JsonDict
    family: Placement
    tags: JsonDict
    settings: JsonDict
    shared_by: JsonDict | None
    share_to: list[JsonDict]
    brand_name: str | None
    product_model: str | None
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Device:
        extra = _obj(raw, "extra")
        uiid = extra.get("uiid")
        return cls(
            deviceid=_str(raw, "deviceid"),
            name=_str(raw, "name"),
            apikey=_str(raw, "apikey"),
            online=bool(raw.get("online", False)),
            params=_obj(raw, "params"),
            uiid=_int(extra, "uiid") if uiid is not None else None,
            extra=extra,
            family=Placement.from_raw(_obj(raw, "family")),
            tags=_obj(raw, "tags"),
            settings=_obj(raw, "settings"),
            shared_by=raw.get("sharedBy") if isinstance(raw.get("sharedBy"), dict) else None,
            share_to=_list(raw.get("shareTo")),
            brand_name=_opt_str(raw, "brandName"),
            product_model=_opt_str(raw, "productModel"),
            raw=raw,
        )


@dataclass(frozen=True)
class Group:
    """A device group (``itemData`` of item type 3); it has no deviceid."""

    id: str
    name: str
    main_device_id: str | None
    family: Placement
    params: JsonDict
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Group:
        return cls(
            id=_str(raw, "id"),
            name=_str(raw, "name"),
            main_device_id=_opt_str(raw, "mainDeviceId"),
            family=Placement.from_raw(_obj(raw, "family")),
            params=_obj(raw, "params"),
            raw=raw,
        )


@dataclass(frozen=True)
class Thing:
    """One entry of a thing list: an own device, a shared device or a group."""

    item_type: int
    index: int
    device: Device | None
    group: Group | None
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Thing:
        item_type = _int(raw, "itemType")
        data = _obj(raw, "itemData")
        is_group = item_type == ITEM_GROUP or ("deviceid" not in data and "id" in data)
        return cls(
            item_type=item_type,
            index=_int(raw, "index"),
            device=None if is_group else Device.from_raw(data),
            group=Group.from_raw(data) if is_group else None,
            raw=raw,
        )

    @property
    def id(self) -> str:
        """Device id or group id."""
        if self.device is not None:
            return self.device.deviceid
        return self.group.id if self.group is not None else ""

    @property
    def name(self) -> str:
        """Display name of the device or group."""
        if self.device is not None:
            return self.device.name
        return self.group.name if self.group is not None else ""

    @property
    def is_group(self) -> bool:
        return self.group is not None

    @property
    def is_shared(self) -> bool:
        """Shared with me by another account (type 2; type 5 = via a shared home)."""
        return self.item_type not in (ITEM_DEVICE, ITEM_GROUP)


@dataclass(frozen=True)
class ThingPage:
    """One page of ``GET /v2/device/thing``."""

    things: list[Thing]
    total: int
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> ThingPage:
        things = [Thing.from_raw(item) for item in _list(raw.get("thingList"))]
        return cls(things, _int(raw, "total", len(things)), raw)


def things_from(raw: JsonDict, key: str = "thingList") -> list[Thing]:
    """Parse a list of thing items found under ``key`` (e.g. ``updatedThingList``)."""
    return [Thing.from_raw(item) for item in _list(raw.get(key))]


@dataclass(frozen=True)
class BatchResult:
    """One element of ``respList`` from the batch status update."""

    type: int
    id: str
    error: int
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> BatchResult:
        return cls(_int(raw, "type"), _str(raw, "id"), _int(raw, "error"), raw)

    @property
    def ok(self) -> bool:
        return self.error == 0


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a device's operating history."""

    deviceid: str
    user_agent: str | None
    ops_switchs: Any
    request: Any
    ops_account: str | None
    ops_time: int
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> HistoryEntry:
        return cls(
            deviceid=_str(raw, "deviceid"),
            user_agent=_opt_str(raw, "userAgent"),
            ops_switchs=raw.get("opsSwitchs"),
            request=raw.get("request"),
            ops_account=_opt_str(raw, "opsAccount"),
            ops_time=_int(raw, "opsTime"),
            raw=raw,
        )


@dataclass(frozen=True)
class Message:
    """A message-centre notification."""

    msgid: str
    msg_type: str
    message: Any
    date: int
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Message:
        return cls(
            _str(raw, "msgid"), _str(raw, "msgType"), raw.get("message"), _int(raw, "date"), raw
        )


@dataclass(frozen=True)
class FirmwareFile:
    """A downloadable bin of an OTA update."""

    name: str
    download_url: str
    digest: str | None

    @classmethod
    def from_raw(cls, raw: JsonDict) -> FirmwareFile:
        return cls(_str(raw, "name"), _str(raw, "downloadUrl"), _opt_str(raw, "digest"))

    def to_wire(self) -> JsonDict:
        wire: JsonDict = {"name": self.name, "downloadUrl": self.download_url}
        if self.digest is not None:
            wire["digest"] = self.digest
        return wire


@dataclass(frozen=True)
class DeviceFirmware:
    """What a device runs now, the input of the OTA query."""

    deviceid: str
    model: str
    version: str

    def to_wire(self) -> JsonDict:
        return {"deviceid": self.deviceid, "model": self.model, "version": self.version}


@dataclass(frozen=True)
class OtaInfo:
    """A newer firmware available for a device."""

    deviceid: str
    version: str
    bin_list: list[FirmwareFile]
    type: str | None
    force_time: str | None
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> OtaInfo:
        return cls(
            deviceid=_str(raw, "deviceid"),
            version=_str(raw, "version"),
            bin_list=[FirmwareFile.from_raw(item) for item in _list(raw.get("binList"))],
            type=_opt_str(raw, "type"),
            force_time=_opt_str(raw, "forceTime"),
            raw=raw,
        )


@dataclass(frozen=True)
class DispatchInfo:
    """Where to open the websocket (``/dispatch/app``)."""

    ip: str | None
    port: int
    domain: str
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> DispatchInfo:
        domain = _opt_str(raw, "domain") or _opt_str(raw, "IP")
        if not domain or "port" not in raw:
            raise ProtocolError("dispatch answer lacks domain/IP or port", data=raw)
        return cls(_opt_str(raw, "IP"), _int(raw, "port"), domain, raw)


@dataclass(frozen=True)
class Homepage:
    """Result of ``POST /v2/homepage``: whichever parts were asked for."""

    user: User | None
    homes: Homes | None
    things: ThingPage | None
    messages: list[Message]
    raw: JsonDict = field(repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: JsonDict) -> Homepage:
        user = raw.get("userInfo")
        family = raw.get("familyInfo")
        thing = raw.get("thingInfo")
        message = _obj(raw, "messageInfo")
        return cls(
            user=User.from_raw(user) if isinstance(user, dict) else None,
            homes=Homes.from_raw(family) if isinstance(family, dict) else None,
            things=ThingPage.from_raw(thing) if isinstance(thing, dict) else None,
            messages=[Message.from_raw(item) for item in _list(message.get("messageList"))],
            raw=raw,
        )


@dataclass(frozen=True)
class ThingRef:
    """Names a thing in requests: item type (1 own, 2 shared, 3 group) and its id."""

    item_type: int
    id: str

    def to_wire(self) -> JsonDict:
        return {"itemType": self.item_type, "id": self.id}


@dataclass(frozen=True)
class StatusUpdate:
    """One element of a batch status update: type 1 device / 2 group, id and params."""

    id: str
    params: JsonDict
    type: int = 1

    def to_wire(self) -> JsonDict:
        return {"type": self.type, "id": self.id, "params": self.params}


@dataclass(frozen=True)
class GroupCreated:
    """Result of adding a group: the group as a thing and the devices it changed."""

    group: Thing
    updated_things: list[Thing]
    raw: JsonDict = field(repr=False, compare=False)
