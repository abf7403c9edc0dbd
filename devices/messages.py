"""The message centre of a linked account, home by home: incremental and never duplicated.

Messages come newest first, 30 a call, per home. We page back until we meet a message older
than the newest one stored for that home; (account, msgid) is unique, so whatever a page
repeats is ignored by the database, not by luck. What is new is announced (see
devices/message_centre.py) in the transaction that stores it, under a lock on the account,
so two syncs of one account never both take the same message for new.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction
from django.db.models import Max
from django_scopes import scope, scopes_disabled

import ewelink
from accounts.cloud import open_client
from accounts.models import LinkedAccount
from devices.message_centre import announce_new
from devices.models import Home, Message

PAGE = 30


def sync_account_messages(account_id: int) -> dict[str, Any]:
    """Fetch and store the new messages of every home of the account."""
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    homes = home_cursors(account)
    created = async_to_sync(_sync_homes)(account, homes)
    return {"homes": len(homes), "created": created}


def home_cursors(account: LinkedAccount) -> list[tuple[int, str, int]]:
    """(home pk, cloud id, newest stored message time in ms) for each home of the account."""
    with scope(household=account.household_id):
        newest = dict(
            Message.objects.filter(account=account, home__isnull=False)
            .values_list("home_id")
            .annotate(newest=Max("date"))
        )
        return [
            (home.pk, home.cloud_id, _ms(newest.get(home.pk)))
            for home in Home.objects.filter(account=account).order_by("pk")
        ]


async def _sync_homes(account: LinkedAccount, homes: list[tuple[int, str, int]]) -> int:
    created = 0
    async with open_client(account) as client:
        for home_id, familyid, newest_ms in homes:
            messages = await fetch_new_messages(client, familyid, newest_ms)
            created += await sync_to_async(store_messages)(account, home_id, messages)
    return created


async def fetch_new_messages(
    client: ewelink.EWeLinkClient, familyid: str, newest_ms: int
) -> list[ewelink.Message]:
    """Messages of a home at or after `newest_ms`, newest first."""
    found = []
    async for message in client.iter_messages(familyid=familyid, page_size=PAGE):
        if message.date < newest_ms:
            break
        found.append(message)
    return found


def store_messages(account: LinkedAccount, home_id: int, messages: list[ewelink.Message]) -> int:
    """Insert the messages not stored yet; returns how many were new."""
    rows = {}
    for message in messages:
        msgid = message.msgid or _content_id(message)
        rows[msgid] = Message(
            household_id=account.household_id,
            account=account,
            home_id=home_id,
            msgid=msgid,
            msg_type=message.msg_type[:50],
            payload=message.message,
            date=datetime.fromtimestamp(message.date / 1000, tz=UTC),
        )
    with scope(household=account.household_id), transaction.atomic():
        # One store per account at a time: what is "known" stays true until we commit.
        list(LinkedAccount.objects.select_for_update().filter(pk=account.pk).values_list("pk"))
        known = set(
            Message.objects.filter(account=account, msgid__in=list(rows)).values_list(
                "msgid", flat=True
            )
        )
        new = [row for msgid, row in rows.items() if msgid not in known]
        Message.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        announce_new(account, new)
    return len(new)


def _content_id(message: ewelink.Message) -> str:
    """A stand-in id for a message the cloud sent without one."""
    raw = json.dumps(message.raw, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def _ms(value: datetime | None) -> int:
    return round(value.timestamp() * 1000) if value else 0
