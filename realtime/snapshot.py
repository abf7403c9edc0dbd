"""The first frame of a page socket: what changed since the page was drawn, every account.

A page drawn a moment ago shows current cards: it sends the time it was drawn (or last
heard a snapshot) as `since`, and only things updated after that (less a margin for clocks
of other hosts) come again. A page that missed a structure change sees the household's
structure version ahead of its own and redraws its sections.

The snapshot is read from the database, which the realtime workers update every flush
interval rather than on every frame. A change published just before the page joined its
group would be in neither the snapshot nor the page's stream, so before reading, the page
asks the workers holding its household's accounts to commit what they hold (`flush_workers`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import Household, LinkedAccount
from devices.presentation import card_body, card_status, plugin_for, shown_things
from realtime import redis as keys
from realtime.events import PROTOCOL_VERSION, AccountView, SnapshotEvent, ThingView

log = logging.getLogger(__name__)
SINCE_MARGIN = timedelta(seconds=30)  # clocks of the workers' hosts may differ a little
FLUSH_TIMEOUT = 2.0  # a worker that died still has a lease for up to its TTL: do not wait on it
Ask = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def household_account_ids(household_id: int) -> list[int]:
    with scopes_disabled():
        return list(
            LinkedAccount.objects.filter(household_id=household_id).values_list("pk", flat=True)
        )


async def flush_workers(household_id: int, ask: Ask, reply_to: str) -> None:
    """Return once every worker holding one of the household's accounts has written its state."""
    account_ids = await database_sync_to_async(household_account_ids)(household_id)
    if not account_ids:
        return
    holders = await keys.client().mget([keys.lease_key(a) for a in account_ids])
    channels = sorted({str(h) for h in holders if h})

    async def flush(channel: str) -> None:
        message = {"type": "state.flush", "request": uuid.uuid4().hex, "reply_to": reply_to}
        try:
            await asyncio.wait_for(ask(channel, message), FLUSH_TIMEOUT)
        except TimeoutError:
            log.warning("worker %s did not flush within %.0f s", channel, FLUSH_TIMEOUT)

    await asyncio.gather(*(flush(channel) for channel in channels))


async def workers_running() -> bool:
    """Whether any realtime worker renewed its heartbeat lately (see realtime/redis.py)."""
    return bool(await keys.client().exists(keys.HEARTBEAT_KEY))


def build_snapshot(household_id: int, since: datetime | None = None) -> SnapshotEvent:
    """Things updated after `since` (all if None), every account, the versions."""
    now = timezone.now()
    with scope(household=household_id):
        # One read: the structure version the page compares, and the zone its times are in.
        version, time_zone = Household.objects.values_list("structure_version", "time_zone").get(
            pk=household_id
        )
        things: dict[str, ThingView] = {}
        for thing in shown_things():
            if since is not None and (
                thing.last_update_at is None or thing.last_update_at < since - SINCE_MARGIN
            ):
                continue
            plugin = plugin_for(thing)
            state = plugin.state(thing.params, thing.tags)
            things[str(thing.pk)] = ThingView(
                state=state,
                online=thing.online,
                last_update=thing.last_update_at.isoformat() if thing.last_update_at else None,
                account=thing.account_id,
                summary=plugin.summary(state),
                body=card_body(plugin, state, tz=time_zone),
                status=card_status(thing.online, thing.last_update_at, tz=time_zone),
            )
        accounts = {
            str(a.pk): AccountView(
                connection=a.connection_state,  # type: ignore[typeddict-item]
                status=a.status,  # type: ignore[typeddict-item]
                syncing=a.syncing,
            )
            for a in LinkedAccount.objects.only("pk", "connection_state", "status", "syncing")
        }
    return SnapshotEvent(
        type="snapshot",
        protocol=PROTOCOL_VERSION,
        household=household_id,
        structure=version,
        things=things,
        accounts=accounts,
        server_time=now.isoformat(),
    )
