"""One timeline out of several tables: a merge of per-source keyset queries.

Each source (cloud history, dashboard commands, thing actions, notifications, the logbook's
own events) is read newest first with its own `WHERE (time, pk) < cursor … LIMIT n+1`
query on an index, and the few rows they return are merged in Python. Nothing is ever
loaded whole and no OFFSET is used: a page costs the same on day one and on day 365.

Order is (time, source rank, pk), descending; the cursor is the last row's triple, so a
page boundary inside one millisecond shared by two sources is still exact.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet

from accounts.models import Notification, NotificationKind, Role
from devices.models import HistoryEntry, ThingAction
from logbook.models import EventKind, LogbookEvent
from realtime.models import CommandRecord

# What every role sees; admins and owners also see the household's accounts and people.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEVICE_KINDS = ("device", "command", "action", "firmware", "connectivity", "alarm")
ADMIN_KINDS = ("account", "membership")
KIND_LABELS = {
    "device": "Device history",
    "command": "Dashboard control",
    "action": "Thing action",
    "firmware": "Firmware",
    "connectivity": "Online/offline",
    "alarm": "Alarm",
    "account": "Account",
    "membership": "Membership",
}
FIRMWARE_ACTIONS = ("ota_check", "upgrade")
NOTICE_KINDS = {
    NotificationKind.ALARM: "alarm",
    NotificationKind.FIRMWARE: "firmware",
    NotificationKind.NEEDS_RELINK: "account",
}


def visible_kinds(role: str) -> tuple[str, ...]:
    return DEVICE_KINDS + ADMIN_KINDS if role in (Role.ADMIN, Role.OWNER) else DEVICE_KINDS


@dataclass(frozen=True)
class Cursor:
    at: datetime
    rank: int
    pk: int

    def encode(self) -> str:
        micros = (self.at - EPOCH) // timedelta(microseconds=1)  # exact, unlike a float
        return f"{micros}.{self.rank}.{self.pk}"

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """None for anything that is not a cursor this module wrote."""
        try:
            micros, rank, pk = (int(part) for part in text.split("."))
            return cls(EPOCH + timedelta(microseconds=micros), rank, pk)
        except (ValueError, OverflowError):
            return None


@dataclass(frozen=True)
class Filters:
    """What a person narrowed the timeline to (ids are already the household's own)."""

    kinds: tuple[str, ...] = DEVICE_KINDS
    since: datetime | None = None
    until: datetime | None = None
    home: int | None = None
    room: int | None = None
    thing: int | None = None
    person: int | None = None

    @property
    def by_place(self) -> bool:
        return any(v is not None for v in (self.home, self.room, self.thing))


@dataclass(frozen=True)
class Entry:
    """One line of the timeline, in the words a page and an export show."""

    at: datetime
    rank: int
    pk: int
    kind: str
    thing_id: int | None
    thing_name: str
    what: str
    who: str = ""
    via: str = ""
    result: str = ""
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def cursor(self) -> str:
        return Cursor(self.at, self.rank, self.pk).encode()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def key(self) -> tuple[datetime, int, int]:
        return (self.at, self.rank, self.pk)


class Source:
    """One table of the timeline; subclasses say how to query it and word its rows."""

    rank = 0
    time = "created_at"
    kinds: tuple[str, ...] = ()
    has_thing = True  # rows can be narrowed by home, room or thing
    has_person = True  # rows can be narrowed by who did them

    def base(self, household_id: int) -> QuerySet[Any]:
        raise NotImplementedError

    def narrow(self, rows: QuerySet[Any], kinds: set[str]) -> QuerySet[Any]:
        """Rows of the asked kinds (a source with one kind needs nothing)."""
        return rows

    def entry(self, row: Any, show_who: bool) -> Entry:
        raise NotImplementedError

    def rows(self, household_id: int, filters: Filters) -> QuerySet[Any] | None:
        """The source's rows under the filters, or None when none can match."""
        kinds = set(self.kinds) & set(filters.kinds)
        if not kinds:
            return None
        if (filters.by_place and not self.has_thing) or (filters.person and not self.has_person):
            return None
        rows = self.narrow(self.base(household_id), kinds)
        if filters.thing is not None:
            rows = rows.filter(thing_id=filters.thing)
        if filters.room is not None:
            rows = rows.filter(thing__room_id=filters.room)
        if filters.home is not None:
            rows = rows.filter(thing__home_id=filters.home)
        if filters.person is not None:
            rows = rows.filter(user_id=filters.person)
        if filters.since is not None:
            rows = rows.filter(**{f"{self.time}__gte": filters.since})
        if filters.until is not None:
            rows = rows.filter(**{f"{self.time}__lt": filters.until})
        return rows

    def before(self, cursor: Cursor) -> Q:
        """Rows after `cursor` in newest-first order (older, or a tie broken by rank, pk)."""
        if self.rank < cursor.rank:
            return Q(**{f"{self.time}__lte": cursor.at})
        if self.rank > cursor.rank:
            return Q(**{f"{self.time}__lt": cursor.at})
        return Q(**{f"{self.time}__lt": cursor.at}) | Q(
            **{self.time: cursor.at, "pk__lt": cursor.pk}
        )

    def after(self, cursor: Cursor) -> Q:
        """Rows newer than `cursor` in the same order."""
        if self.rank < cursor.rank:
            return Q(**{f"{self.time}__gt": cursor.at})
        if self.rank > cursor.rank:
            return Q(**{f"{self.time}__gte": cursor.at})
        return Q(**{f"{self.time}__gt": cursor.at}) | Q(
            **{self.time: cursor.at, "pk__gt": cursor.pk}
        )

    def newest_first(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.order_by(f"-{self.time}", "-pk")


# Rows are read as dicts of the few columns an entry shows: no model instances, and no JSON
# of the thing's own (params, tags …) decoded per row; it is what makes an export fast.
WHO = {"who_email": F("user__email"), "who_name": F("user__username")}


def _user_name(row: dict[str, Any]) -> str:
    return str(row["who_email"] or row["who_name"] or "")


def _words(value: Any, limit: int = 160) -> str:
    """A request's params as "switch: on, brightness: 40"."""
    if isinstance(value, dict):
        value = value.get("params", value)
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {_words(v, limit)}" for k, v in value.items())
    elif isinstance(value, list):
        text = ", ".join(_words(v, limit) for v in value)
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HistorySource(Source):
    rank = 5
    time = "ops_time"
    kinds = ("device",)
    has_person = False  # the cloud's `opsAccount` is an eWeLink account, not a household person

    def base(self, household_id: int) -> QuerySet[Any]:
        return HistoryEntry.objects.filter(household_id=household_id).values(
            "pk", "ops_time", "thing_id", "user_agent", "ops_account", "request",
            thing_name=F("thing__name"),
        )  # fmt: skip

    def entry(self, row: dict[str, Any], show_who: bool) -> Entry:
        return Entry(
            row["ops_time"], self.rank, row["pk"], "device", row["thing_id"], row["thing_name"],
            what=_words(row["request"]) or "Changed",
            who=row["ops_account"] if show_who else "",
            via=row["user_agent"] or "cloud",
        )  # fmt: skip


class CommandSource(Source):
    rank = 4
    kinds = ("command",)

    def base(self, household_id: int) -> QuerySet[Any]:
        return CommandRecord.objects.filter(household_id=household_id).values(
            "pk", "created_at", "thing_id", "thing_name", "control", "value", "via", "result",
            "message", **WHO,
        )  # fmt: skip

    def entry(self, row: dict[str, Any], show_who: bool) -> Entry:
        value = _words(row["value"])
        return Entry(
            row["created_at"], self.rank, row["pk"], "command", row["thing_id"], row["thing_name"],
            what=f"{row['control']}: {value}" if value else row["control"],
            who=_user_name(row) if show_who else "",
            via=f"dashboard ({row['via']})", result=row["message"] or row["result"],
        )  # fmt: skip


class ActionSource(Source):
    rank = 3
    kinds = ("action", "firmware")

    def base(self, household_id: int) -> QuerySet[Any]:
        return ThingAction.objects.filter(household_id=household_id).values(
            "pk", "created_at", "thing_id", "thing_name", "action", "result", "message", **WHO
        )

    def narrow(self, rows: QuerySet[Any], kinds: set[str]) -> QuerySet[Any]:
        if kinds == {"firmware"}:
            return rows.filter(action__in=FIRMWARE_ACTIONS)
        if kinds == {"action"}:
            return rows.exclude(action__in=FIRMWARE_ACTIONS)
        return rows

    def entry(self, row: dict[str, Any], show_who: bool) -> Entry:
        kind = "firmware" if row["action"] in FIRMWARE_ACTIONS else "action"
        return Entry(
            row["created_at"], self.rank, row["pk"], kind, row["thing_id"], row["thing_name"],
            what=row["action"].replace("_", " ").capitalize(),
            who=_user_name(row) if show_who else "",
            via="dashboard", result=row["message"] or row["result"],
        )  # fmt: skip


class NoticeSource(Source):
    rank = 2
    kinds = ("alarm", "firmware", "account")
    has_thing = False  # a notification names its device in words only
    has_person = False

    def base(self, household_id: int) -> QuerySet[Any]:
        return Notification.objects.filter(household_id=household_id).values(
            "pk", "created_at", "kind", "title", "body"
        )

    def narrow(self, rows: QuerySet[Any], kinds: set[str]) -> QuerySet[Any]:
        wanted = [k for k, kind in NOTICE_KINDS.items() if kind in kinds]
        return rows.filter(kind__in=wanted)

    def entry(self, row: dict[str, Any], show_who: bool) -> Entry:
        return Entry(
            row["created_at"], self.rank, row["pk"], NOTICE_KINDS.get(row["kind"], "alarm"),
            None, "", what=row["title"], via="cloud", result=row["body"][:200],
        )  # fmt: skip


class EventSource(Source):
    rank = 1
    time = "at"
    kinds = tuple(EventKind.values)

    def base(self, household_id: int) -> QuerySet[Any]:
        return LogbookEvent.objects.filter(household_id=household_id).values(
            "pk", "at", "kind", "thing_id", "text", thing_name=F("thing__name"), **WHO
        )

    def narrow(self, rows: QuerySet[Any], kinds: set[str]) -> QuerySet[Any]:
        return rows if kinds >= set(self.kinds) else rows.filter(kind__in=kinds)

    def entry(self, row: dict[str, Any], show_who: bool) -> Entry:
        return Entry(
            row["at"], self.rank, row["pk"], row["kind"], row["thing_id"],
            row["thing_name"] or "", what=row["text"],
            who=_user_name(row) if show_who else "",
            via="worker" if row["kind"] == EventKind.CONNECTIVITY else "dashboard",
        )  # fmt: skip


SOURCES: tuple[Source, ...] = (
    HistorySource(),
    CommandSource(),
    ActionSource(),
    NoticeSource(),
    EventSource(),
)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    more: bool  # older entries exist past the last one

    @property
    def next_cursor(self) -> str:
        return self.entries[-1].cursor if self.entries and self.more else ""


def _queries(household_id: int, filters: Filters) -> Iterator[tuple[Source, QuerySet[Any]]]:
    for source in SOURCES:
        rows = source.rows(household_id, filters)
        if rows is not None:
            yield source, rows


def page(
    household_id: int, filters: Filters, *, show_who: bool, before: Cursor | None = None,
    limit: int = 50,
) -> Page:  # fmt: skip
    """Up to `limit` entries older than `before` (the newest when None), newest first."""
    found: list[Entry] = []
    for source, rows in _queries(household_id, filters):
        if before is not None:
            rows = rows.filter(source.before(before))
        found += (source.entry(row, show_who) for row in source.newest_first(rows)[: limit + 1])
    found.sort(key=Entry.key, reverse=True)
    return Page(found[:limit], more=len(found) > limit)


def newer(
    household_id: int, filters: Filters, after: Cursor, *, show_who: bool, limit: int = 100
) -> list[Entry]:
    """Entries newer than `after` (the top row a page shows), newest first; at most `limit`
    (the oldest of them: the page prepends them and its cursor stays exact)."""
    found: list[Entry] = []
    for source, rows in _queries(household_id, filters):
        oldest_first = rows.filter(source.after(after)).order_by(source.time, "pk")[:limit]
        found += (source.entry(row, show_who) for row in oldest_first)
    found.sort(key=Entry.key)
    return list(reversed(found[:limit]))


def everything(
    household_id: int, filters: Filters, *, show_who: bool, chunk_size: int = 2000
) -> Iterator[Entry]:
    """Every matching entry, newest first, streamed: each source is read through a
    server-side cursor in chunks and the streams are merged lazily.

    The queries are built now (in the caller's household scope); rows are read as the
    returned iterator is consumed, which may be after the request's scope has ended.
    """
    streams = [
        _entries(source, source.newest_first(rows), show_who, chunk_size)
        for source, rows in _queries(household_id, filters)
    ]
    return heapq.merge(*streams, key=Entry.key, reverse=True)


def _entries(source: Source, rows: QuerySet[Any], show_who: bool, chunk: int) -> Iterator[Entry]:
    return (source.entry(row, show_who) for row in rows.iterator(chunk_size=chunk))
