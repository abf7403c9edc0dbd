"""The message centre: the accounts' messages in words, filtered, read once per household.

The cloud keeps no read state, so `Message.read_at` is ours. When the sync job stores new
messages it calls `announce_new`: open messages pages redraw (a `messages` event) and each new
alarm becomes a household notification, in the same transaction as the rows, so never twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from django_scopes import scope

from accounts.models import LinkedAccount, Membership, NotificationKind, Role
from accounts.notifications import notify
from accounts.services import require_role
from accounts.signals import household_event
from devices.models import Home, Message, Thing

PAGE_SIZE = 50
ALARM = "alarmNotify_v2"
# The document's msgType values (Message Center), in words.
KIND_WORDS = {
    "shareNotify_v2": "Share notice",
    "cancelShareNotify_v2": "Stopped sharing",
    "opsNotify_v2": "Device action",
    "pushNotify_v2": "Push",
    ALARM: "Alarm",
    "IOTCameraNotify_v2": "Camera",
}
ALARM_WORDS = {"smoke": "Smoke detected", "leak": "Water leak detected"}
READ_STATES = {"unread": "Unread", "read": "Read"}
UNKNOWN_DEVICE = "unknown device"
# Payload keys a line already shows elsewhere (the device column).
SHOWN_APART = ("deviceid", "deviceName")


@dataclass(frozen=True)
class MessageFilters:
    """What the page shows: one type, one home, read or unread; empty means all."""

    msg_type: str = ""
    home: int | None = None
    read: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> MessageFilters:
        """Filters from GET parameters; values we do not know are dropped (show all)."""
        msg_type = query.get("type", "")
        raw_home = query.get("home", "")
        read = query.get("read", "")
        return cls(
            msg_type=msg_type if msg_type in KIND_WORDS else "",
            home=int(raw_home) if raw_home.isdigit() and len(raw_home) < 18 else None,
            read=read if read in READ_STATES else "",
        )

    def query_string(self) -> str:
        """These filters as a query string (for pager links and the way back after a POST)."""
        pairs = {"type": self.msg_type, "home": self.home or "", "read": self.read}
        return urlencode({key: value for key, value in pairs.items() if value})


@dataclass(frozen=True)
class MessageLine:
    """One message as the page shows it."""

    message: Message
    kind: str
    device: str
    content: str


def filtered(filters: MessageFilters) -> QuerySet[Message]:
    """The household's messages under `filters`, newest first (inside the household's scope)."""
    messages = Message.objects.select_related("home", "account")
    if filters.msg_type:
        messages = messages.filter(msg_type=filters.msg_type)
    if filters.home is not None:
        messages = messages.filter(home_id=filters.home)
    if filters.read:
        messages = messages.filter(read_at__isnull=filters.read == "unread")
    return messages


def home_choices() -> list[tuple[int, str]]:
    """(pk, "Home · account") of the household's homes, for the home filter."""
    homes = Home.objects.select_related("account").order_by("account__label", "name", "pk")
    return [(home.pk, f"{home.name} · {home.account.label}") for home in homes]


def lines(messages: Sequence[Message]) -> list[MessageLine]:
    """Each message with its kind, device and content in words."""
    names = _device_names(messages)
    return [
        MessageLine(
            message=message,
            kind=KIND_WORDS.get(message.msg_type, message.msg_type or "Message"),
            device=_device_of(message, names),
            content=content_in_words(message.msg_type, message.payload),
        )
        for message in messages
    ]


def content_in_words(msg_type: str, payload: Any) -> str:
    """The payload's readable content; an unknown type's payload as it came."""
    if msg_type not in KIND_WORDS or not isinstance(payload, dict):
        return json.dumps(payload, sort_keys=True, ensure_ascii=False)
    if msg_type == ALARM and "alarm" in payload:
        return ALARM_WORDS.get(str(payload["alarm"]), f"Alarm: {payload['alarm']}")
    if msg_type == "shareNotify_v2":
        return f"{payload.get('fromName') or 'Its owner'} shared it with this account"
    if msg_type == "cancelShareNotify_v2":
        return "Its owner stopped sharing it with this account"
    rest = {key: value for key, value in payload.items() if key not in SHOWN_APART}
    return ", ".join(f"{key}: {_plain(value)}" for key, value in rest.items())


def unread_count() -> int:
    """The household's unread messages (inside its scope)."""
    return Message.objects.filter(read_at=None).count()


def mark_read(actor: Membership, message: Message) -> None:
    """Members and up mark a message read for the household; guests only look."""
    require_role(actor, Role.MEMBER)
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
        _announce_read(actor.household_id)


def mark_all_read(actor: Membership) -> int:
    """Members and up mark every unread message of the household read; how many."""
    require_role(actor, Role.MEMBER)
    marked = Message.objects.filter(household=actor.household, read_at=None).update(
        read_at=timezone.now()
    )
    if marked:
        _announce_read(actor.household_id)
    return marked


def _announce_read(household_id: int) -> None:
    """Open message pages of the household redraw: what is unread changed for everyone."""
    payload = {"type": "messages", "count": 0, "unread": unread_count()}
    household_event.send(sender=Message, household_id=household_id, payload=payload)


def announce_new(account: LinkedAccount, new: Sequence[Message]) -> None:
    """Tell the household's pages of messages just stored, and raise their alarms.

    Called inside the transaction that stored them: the notifications commit with the rows,
    and the events go out after the commit.
    """
    if not new:
        return
    household_id = account.household_id
    with scope(household=household_id):
        for line in lines([m for m in new if m.msg_type == ALARM]):
            title = f"{line.content}: {line.device}"
            notify(household_id, NotificationKind.ALARM, title, f"From {account.label}.")
        unread = unread_count()
    payload = {"type": "messages", "count": len(new), "unread": unread}
    household_event.send(sender=Message, household_id=household_id, payload=payload)


def _device_names(messages: Sequence[Message]) -> dict[tuple[int, str], str]:
    deviceids = {str(m.payload.get("deviceid")) for m in messages if isinstance(m.payload, dict)}
    deviceids.discard("None")
    if not deviceids:
        return {}
    things = Thing.objects.filter(cloud_id__in=deviceids, item_type__in=(1, 2))
    return {
        (account_id, cloud_id): name
        for account_id, cloud_id, name in things.values_list("account_id", "cloud_id", "name")
    }


def _device_of(message: Message, names: Mapping[tuple[int, str], str]) -> str:
    payload = message.payload if isinstance(message.payload, dict) else {}
    ours = names.get((message.account_id, str(payload.get("deviceid"))))
    return ours or str(payload.get("deviceName") or "") or UNKNOWN_DEVICE


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
