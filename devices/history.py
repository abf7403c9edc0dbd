"""Operating history of a linked account's devices: incremental, paged, never duplicated.

The cloud hands history out newest first, at most 30 entries a call, with no id. So per
device we page back from now until we meet an entry older than the newest one stored (or
the retention horizon), and identify entries by a fingerprint of their content. The
(thing, fingerprint) uniqueness rule plus `ignore_conflicts` make a re-run, a retry after a
failure half way, or an overlapping run store each entry once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import ewelink
from accounts.cloud import open_client
from accounts.models import LinkedAccount
from accounts.signals import household_event
from devices.models import HistoryEntry, Thing, ThingKind

log = logging.getLogger(__name__)
PAGE = 30  # the API's maximum page size


@dataclass(frozen=True)
class DeviceCursor:
    """Where a device's history sync stops: the newest stored entry, or the horizon."""

    thing_id: int
    deviceid: str
    stop_ms: int


@dataclass
class HistoryResult:
    devices: int = 0
    fetched: int = 0
    created: int = 0
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "devices": self.devices,
            "fetched": self.fetched,
            "created": self.created,
            "deleted": self.deleted,
            "skipped": self.skipped,
        }


def sync_account_history(account_id: int) -> dict[str, Any]:
    """Fetch every device's new history entries, store them, drop entries past retention."""
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    horizon = timezone.now() - settings.HISTORY_RETENTION
    cursors = device_cursors(account, _ms(horizon))
    result = HistoryResult(devices=len(cursors))
    async_to_sync(_sync_devices)(account, cursors, result)
    result.deleted = prune(account, horizon)
    if result.created:  # open logbooks and history panels fetch the new entries
        news = {"type": "logbook", "kinds": ["device"]}
        household_event.send(sender=HistoryEntry, household_id=account.household_id, payload=news)
    return result.as_dict()


def device_cursors(account: LinkedAccount, horizon_ms: int) -> list[DeviceCursor]:
    """One cursor per device of the account (groups have no history)."""
    with scope(household=account.household_id):
        newest = dict(
            HistoryEntry.objects.filter(thing__account=account)
            .values_list("thing_id")
            .annotate(newest=Max("ops_time"))
        )
        devices = Thing.objects.filter(account=account, kind=ThingKind.DEVICE).order_by("pk")
        return [
            DeviceCursor(thing.pk, thing.cloud_id, max(horizon_ms, _ms(newest.get(thing.pk)) or 0))
            for thing in devices
        ]


async def _sync_devices(
    account: LinkedAccount, cursors: list[DeviceCursor], result: HistoryResult
) -> None:
    async with open_client(account) as client:
        for cursor in cursors:
            try:
                entries = await fetch_new_entries(client, cursor)
            except (ewelink.NotFoundError, ewelink.PermissionDeniedError):
                # 405 gone / 406 no longer shared with us: the next full sync drops the thing.
                result.skipped.append(cursor.deviceid)
                continue
            result.fetched += len(entries)
            # Stored per device, so a failure later keeps what was already fetched.
            result.created += await sync_to_async(store_entries)(account, cursor, entries)


async def fetch_new_entries(
    client: ewelink.EWeLinkClient, cursor: DeviceCursor
) -> list[ewelink.HistoryEntry]:
    """Entries at or after the cursor, newest first; pages are fetched only as needed."""
    limit = settings.HISTORY_MAX_PAGES * PAGE
    entries: list[ewelink.HistoryEntry] = []
    async for entry in client.iter_history(cursor.deviceid, page_size=PAGE):
        # Entries in the same ms as the newest stored one may be new siblings: keep them,
        # the fingerprint sorts out which are known.
        if entry.ops_time < cursor.stop_ms or len(entries) >= limit:
            break
        entries.append(entry)
    return entries


def store_entries(
    account: LinkedAccount, cursor: DeviceCursor, entries: list[ewelink.HistoryEntry]
) -> int:
    """Insert the entries not stored yet; returns how many were new."""
    rows = {}
    seen: Counter[str] = Counter()
    for entry in entries:
        content = _content_key(entry)
        seen[content] += 1  # two identical entries in one ms are two entries
        key = fingerprint(content, seen[content])
        rows[key] = _row(account, cursor, entry, key)
    with scope(household=account.household_id):
        known = set(
            HistoryEntry.objects.filter(
                thing_id=cursor.thing_id, fingerprint__in=list(rows)
            ).values_list("fingerprint", flat=True)
        )
        new = [row for key, row in rows.items() if key not in known]
        HistoryEntry.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)


def prune(account: LinkedAccount, horizon: datetime) -> int:
    """Delete the account's entries older than the retention period."""
    with scope(household=account.household_id):
        deleted, _ = HistoryEntry.objects.filter(
            thing__account=account, ops_time__lt=horizon
        ).delete()
    return deleted


def _content_key(entry: ewelink.HistoryEntry) -> str:
    return json.dumps(
        [
            entry.deviceid,
            entry.ops_time,
            entry.user_agent,
            entry.ops_account,
            _json(entry.request),  # parsed: key order in the cloud's string must not matter
            entry.ops_switchs,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def fingerprint(content_key: str, occurrence: int = 1) -> str:
    """Stable identity of a history entry: its content and its rank among identical ones."""
    return hashlib.sha256(f"{content_key}#{occurrence}".encode()).hexdigest()


def _row(
    account: LinkedAccount, cursor: DeviceCursor, entry: ewelink.HistoryEntry, key: str
) -> HistoryEntry:
    return HistoryEntry(
        household_id=account.household_id,
        thing_id=cursor.thing_id,
        ops_time=datetime.fromtimestamp(entry.ops_time / 1000, tz=UTC),
        user_agent=(entry.user_agent or "")[:20],
        ops_account=(entry.ops_account or "")[:254],
        request=_json(entry.request),
        switches=entry.ops_switchs,
        fingerprint=key,
    )


def _json(value: Any) -> Any:
    """The API sends `request` as a JSON string; store the object when it is one."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _ms(value: datetime | None) -> int:
    return round(value.timestamp() * 1000) if value else 0
