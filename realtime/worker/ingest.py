"""The hot path: a cloud frame → the thing's plugin merges and normalizes → one event.

State lives in memory; the database gets the latest params of each changed thing in one
bulk write every `flush_interval`, however chatty a device is. Events go out at once, each
carrying the thing's whole normalized state, so a page that missed one heals on the next.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.db.models import Field, OuterRef, Subquery
from django.utils import timezone
from django_scopes import scopes_disabled

from devices.firmware_upgrade import finish_upgrade, is_newer
from devices.models import FirmwareUpgrade, Thing, UpgradeState
from devices.plugins.base import DevicePlugin, EnergyHistory
from devices.plugins.group.plugins import GroupPlugin
from devices.plugins.registry import default_registry
from devices.presentation import card_body, card_status
from logbook.recording import Transition, record_transitions
from readings.energy import store_history
from readings.sampling import Sampler, write_samples
from realtime.events import DetailsEvent, LogbookNews, PageEvent, PublishNow, ThingEvent
from realtime.metrics import CLOUD_EVENTS, EVENTS_PUBLISHED

log = logging.getLogger(__name__)
Publish = Callable[[int, PageEvent], Awaitable[None]]
# A Zigbee bridge reports this even for offline children: not a sign of life (notes §2.4).
NOT_A_SIGN_OF_LIFE = {"subDevRssi"}
# Params a thing page shows beyond the card (settings, timers, firmware): a report of one is
# stored and announced as a `details` event even when the card's state did not change.
DETAIL_KEYS = frozenset(
    {"timers", "fwVersion", "startup", "configure", "pulse", "pulseWidth", "pulses", "sledOnline"}
)


@dataclass
class LiveThing:
    """What the worker keeps of one device of an account it holds."""

    pk: int
    household_id: int
    cloud_id: str
    uiid: int | None
    item_type: int
    params: dict[str, Any]
    tags: dict[str, Any]
    online: bool
    last_update: datetime | None
    plugin: DevicePlugin = field(repr=False)
    state: dict[str, Any] = field(default_factory=dict)
    members: tuple[str, ...] | None = None  # a group's member deviceids; None for a device
    time_zone: str | None = None  # its household's: times in card bodies are in it
    # A firmware upgrade under way: the version it started from, and whether the device has
    # been offline since (rebooted), after which the version it reports decides the outcome.
    upgrade_from: str | None = None
    rebooted: bool = False
    owner_apikey: str = ""  # a shared device's owner: commands to it name them (notes §2.6)

    def refresh_state(self) -> dict[str, Any]:
        self.state = self.plugin.state(self.params, self.tags)
        return self.state

    def event(self) -> ThingEvent:
        return ThingEvent(
            type="thing",
            id=self.pk,
            state=self.state,
            online=self.online,
            last_update=self.last_update.isoformat() if self.last_update else None,
            summary=self.plugin.summary(self.state),
            body=card_body(self.plugin, self.state, tz=self.time_zone),
            status=card_status(self.online, self.last_update, tz=self.time_zone),
        )


def live_thing(thing: Thing) -> LiveThing:
    plugin = default_registry.plugin_for(thing.uiid, thing.params, item_type=thing.item_type)
    live = LiveThing(
        pk=thing.pk,
        household_id=thing.household_id,
        cloud_id=thing.cloud_id,
        uiid=thing.uiid,
        item_type=thing.item_type,
        params=dict(thing.params or {}),
        tags=dict(thing.tags or {}),
        online=thing.online,
        last_update=thing.last_update_at,
        plugin=plugin,
        time_zone=thing.household.time_zone,
        owner_apikey=thing.owner_apikey if thing.kind == "device" else "",
    )
    if thing.kind == "group":
        live.members = tuple(str(m) for m in (thing.extra or {}).get("members") or ())
    live.refresh_state()
    return live


def load_devices(account_id: int) -> list[LiveThing]:
    """The account's devices and groups (groups get no frames: they follow their members),
    with their household's zone and any firmware upgrade under way, in one query."""
    return load_devices_of([account_id]).get(account_id, [])


def load_devices_of(account_ids: Sequence[int]) -> dict[int, list[LiveThing]]:
    """`load_devices` of many accounts in one query (a starting worker takes thousands)."""
    with scopes_disabled():
        pending = FirmwareUpgrade.objects.filter(thing=OuterRef("pk"), state=UpgradeState.PENDING)
        things = (
            Thing.objects.filter(account_id__in=account_ids)
            .select_related("household")
            .annotate(upgrade_from=Subquery(pending.values("from_version")[:1]))
        )
        by_account: dict[int, list[LiveThing]] = {}
        for row in things:
            live = live_thing(row)
            live.upgrade_from = row.upgrade_from
            by_account.setdefault(row.account_id, []).append(live)
    return by_account


class StateWriter:
    """Coalesces database writes: the latest state of each dirty thing, in one bulk update,
    with the online/offline transitions seen since the last flush (one bulk insert), and the
    readings sampled since then (another bulk insert) with any energy reports."""

    def __init__(self, flush_interval: float = 0.5, sampler: Sampler | None = None) -> None:
        self.flush_interval = flush_interval
        self._dirty: dict[int, LiveThing] = {}
        self.sampler = sampler or Sampler()
        self._energy: list[tuple[int, list[EnergyHistory], datetime]] = []
        self._transitions: list[Transition] = []
        # Told the households whose logbook got transitions, once they are committed.
        self.on_logged: Callable[[set[int]], Awaitable[None]] | None = None
        # One write at a time: a flush asked for by a page must wait for one in flight.
        self._lock = asyncio.Lock()
        self.writes = 0
        self.rows = 0

    def mark(self, thing: LiveThing) -> None:
        self._dirty[thing.pk] = thing
        self.sampler.offer(thing)

    def energy(self, thing: LiveThing, histories: list[EnergyHistory]) -> None:
        """An energy-history report to store with the next flush."""
        self._energy.append((thing.pk, histories, timezone.now()))

    def note_online(self, thing: LiveThing) -> None:
        """The thing went online or offline: the logbook gets a line at the next flush."""
        self._transitions.append((thing.household_id, thing.pk, thing.online, timezone.now()))

    async def run(self) -> None:
        """Flush forever (cancel to stop; `flush()` once more after that)."""
        while True:
            await asyncio.sleep(self.flush_interval)
            await self.flush()

    async def flush(self) -> None:
        """Write every state changed so far; returns once they are committed."""
        async with self._lock:
            await self._write_dirty()

    async def _write_dirty(self) -> None:
        await self._write_readings()
        if not self._dirty and not self._transitions:
            return
        batch, self._dirty = self._dirty, {}
        transitions, self._transitions = self._transitions, []
        # Take the values now: the loop goes on changing things while the thread writes (a
        # merge makes a new params dict, so the one taken here is never mutated).
        # In pk order, the order a sync locks an account's things in: no deadlock between them.
        rows = sorted((t.pk, t.params, t.online, t.last_update) for t in batch.values())
        try:
            households = await sync_to_async(write_states)(rows, transitions)
        except Exception:
            # Keep the newest state for the next try rather than losing it.
            log.exception("writing %d thing states failed; will retry", len(rows))
            self._dirty = batch | self._dirty
            self._transitions = transitions + self._transitions
            return
        self.writes += 1
        self.rows += len(rows)
        if households and self.on_logged is not None:
            await self.on_logged(households)

    async def _write_readings(self) -> None:
        """Samples and energy reports: their failure never holds back the states."""
        samples, energy = self.sampler.take(), self._energy
        self._energy = []
        if not samples and not energy:
            return
        try:
            await sync_to_async(write_readings)(samples, energy)
        except Exception:
            log.exception("writing %d samples failed; will retry", len(samples))
            self.sampler.give_back(samples)
            self._energy = energy + self._energy


def write_readings(
    samples: list[Any], energy: list[tuple[int, list[EnergyHistory], datetime]]
) -> None:
    """One bulk insert of samples, then each energy report (rare: a few an hour)."""
    write_samples(samples)
    for thing_id, histories, received in energy:
        store_history(thing_id, histories, received)


StateRow = tuple[int, dict[str, Any], bool, "datetime | None"]
STATE_FIELDS = ("params", "online", "last_update_at")


def write_states(rows: list[StateRow], transitions: Sequence[Transition] = ()) -> set[int]:
    """One UPDATE statement run for every row (`executemany`), in one transaction, with the
    transitions' logbook lines (one INSERT); returns the households those concern.

    `bulk_update` builds a CASE WHEN per row and field in Python, which cost the worker more
    CPU than everything else on the hot path together; a prepared UPDATE per row does not.
    """
    fields = [cast("Field[Any, Any]", Thing._meta.get_field(name)) for name in STATE_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    # Only quoted model metadata goes into the text; every value is a bound parameter.
    sql = f"UPDATE {quote(Thing._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)] + [pk]
        for pk, *values in rows
    ]
    with transaction.atomic():
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(sql, params)
        return record_transitions(transitions) if transitions else set()


class Ingestor:
    """Merges frames of the accounts a worker holds and publishes what changed."""

    def __init__(
        self, publish: Publish, writer: StateWriter, publish_now: PublishNow | None = None
    ) -> None:
        self.publish = publish
        self.publish_now = publish_now  # for params_now/online_now; None: they decline
        self.writer = writer
        self._accounts: dict[int, dict[str, LiveThing]] = {}  # account → deviceid → thing
        self._groups: dict[int, list[LiveThing]] = {}  # account → its groups
        self._zones: dict[int, str] = {}  # household → time zone, as last applied
        self.frames = 0
        self.events = 0
        self._tasks: set[asyncio.Task[None]] = set()
        writer.on_logged = self._logbook_news

    async def _logbook_news(self, households: set[int]) -> None:
        for household_id in households:
            await self.publish(household_id, LogbookNews(type="logbook", kinds=["connectivity"]))

    def load(self, account_id: int, things: Iterable[LiveThing]) -> None:
        """Replace what we know of an account (after a sync)."""
        things = list(things)
        self._accounts[account_id] = {t.cloud_id: t for t in things if t.members is None}
        self._groups[account_id] = [t for t in things if t.members is not None]

    def set_time_zones(self, zones: dict[int, str]) -> None:
        """Household id → zone: a household that changed its zone gets it on its next event."""
        if zones == self._zones:  # the usual case: nothing changed since the last call
            return
        self._zones = dict(zones)
        for things in self._accounts.values():
            for thing in things.values():
                thing.time_zone = zones.get(thing.household_id, thing.time_zone)
        for groups in self._groups.values():
            for group in groups:
                group.time_zone = zones.get(group.household_id, group.time_zone)

    def forget(self, account_id: int) -> None:
        self._accounts.pop(account_id, None)
        self._groups.pop(account_id, None)

    def get(self, account_id: int, cloud_id: str) -> LiveThing | None:
        return self._accounts.get(account_id, {}).get(cloud_id)

    def watch_upgrade(self, account_id: int, deviceid: str, from_version: str) -> None:
        thing = self.get(account_id, deviceid)
        if thing is not None:
            thing.upgrade_from, thing.rebooted = from_version, False

    def unwatch_upgrade(self, account_id: int, deviceid: str) -> None:
        thing = self.get(account_id, deviceid)
        if thing is not None:
            thing.upgrade_from = None

    def things_of(self, account_id: int) -> list[LiveThing]:
        return [*self._accounts.get(account_id, {}).values(), *self._groups.get(account_id, ())]

    async def on_params(self, account_id: int, deviceid: str, params: dict[str, Any]) -> None:
        """A device reported params (partial or full)."""
        await self._publish(self._apply_params(account_id, deviceid, params))

    def ready_now(self) -> bool:
        """Whether `params_now` and `online_now` can publish now (they decline otherwise)."""
        return self.publish_now is not None and self.publish_now.ready()

    def params_now(self, account_id: int, deviceid: str, params: dict[str, Any]) -> bool:
        """`on_params` in the caller's turn, publishing without waiting for Redis (the
        socket reader's way); False, and nothing done, when the layer cannot take it now."""
        if not self.ready_now():
            return False
        self._publish_now(self._apply_params(account_id, deviceid, params))
        return True

    def _apply_params(
        self, account_id: int, deviceid: str, params: dict[str, Any]
    ) -> list[LiveThing]:
        """Merge a report; the things it changed (the device, then groups that follow it)."""
        self.frames += 1
        CLOUD_EVENTS.inc()
        thing = self.get(account_id, deviceid)
        if thing is None or not isinstance(params, dict):
            return []
        energy_keys = thing.plugin.energy_keys.intersection(params)
        if energy_keys:
            # Energy history goes to its table, not into the state (long strings, §3.3).
            self._energy_report(thing, {k: params[k] for k in energy_keys})
            params = {k: v for k, v in params.items() if k not in energy_keys}
            if not params:
                return []
        was = thing.params
        thing.params = thing.plugin.merge(was, params)
        came_online = not thing.online and not params.keys() <= NOT_A_SIGN_OF_LIFE
        if came_online and thing.plugin.trusts_online_flag():
            thing.online = True
            self.writer.note_online(thing)
        before = thing.state
        # Devices repeat their settings in many reports: only a new value is news to a page.
        if any(was.get(k) != thing.params.get(k) for k in DETAIL_KEYS.intersection(params)):
            self._details(thing)
        # The firmware a device reports decides an upgrade even when it did not change.
        if thing.upgrade_from is not None and "fwVersion" in params:
            self._upgrade_reported(thing, str(params["fwVersion"]))
        if thing.refresh_state() == before and not came_online:
            return []
        thing.last_update = timezone.now()
        return [thing, *self._follow(account_id, thing.cloud_id)]

    def _energy_report(self, thing: LiveThing, report: dict[str, Any]) -> None:
        """Store a decoded history, then tell the thing's pages (they redraw from it)."""
        histories = thing.plugin.energy_history(report)
        if histories:
            self.writer.energy(thing, histories)
            self._details(thing)

    def _details(self, thing: LiveThing) -> None:
        """Store the thing now, then tell its pages (they redraw from the database). Its update
        time moves on too: a page drawn from the row before this store finds a newer update in
        its socket's snapshot and redraws (HouseholdConsumer._panels_behind)."""
        thing.last_update = timezone.now()
        self.writer.mark(thing)
        task = asyncio.create_task(self._announce_details(thing))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce_details(self, thing: LiveThing) -> None:
        try:
            await self.writer.flush()
            await self.publish(thing.household_id, DetailsEvent(type="details", thing=thing.pk))
        except Exception:
            log.exception("announcing new details of thing %s failed", thing.pk)

    def _upgrade_reported(self, thing: LiveThing, reported: str) -> None:
        """A newer version ends the upgrade well; the old one only after a reboot (before
        it, a report is the firmware the device is still running)."""
        if not (thing.rebooted or is_newer(reported, thing.upgrade_from or "")):
            return
        thing.upgrade_from = None
        task = asyncio.create_task(self._finish_upgrade(thing, reported))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish_upgrade(self, thing: LiveThing, reported: str) -> None:
        try:
            await self.writer.flush()
            await sync_to_async(finish_upgrade)(thing.pk, reported)
        except Exception:
            log.exception("deciding the firmware upgrade of thing %s failed", thing.pk)

    async def on_online(self, account_id: int, deviceid: str, online: bool) -> None:
        """`sysmsg`: the device went online or offline."""
        await self._publish(self._apply_online(account_id, deviceid, online))

    def online_now(self, account_id: int, deviceid: str, online: bool) -> bool:
        """`on_online` as `params_now` is `on_params`."""
        if not self.ready_now():
            return False
        self._publish_now(self._apply_online(account_id, deviceid, online))
        return True

    def _apply_online(self, account_id: int, deviceid: str, online: bool) -> list[LiveThing]:
        self.frames += 1
        CLOUD_EVENTS.inc()
        thing = self.get(account_id, deviceid)
        if thing is not None and thing.upgrade_from is not None and not online:
            thing.rebooted = True
        if thing is None or thing.online == online or not thing.plugin.trusts_online_flag():
            return []
        thing.online = online
        thing.last_update = timezone.now()
        self.writer.note_online(thing)
        return [thing]

    async def _publish(self, changed: list[LiveThing]) -> None:
        # Marked for the writer before the first wait: a page's snapshot flushes the writer
        # after joining, so a state it may have missed on the way is in the database.
        for thing in changed:
            self._count(thing)
        for thing in changed:
            await self.publish(thing.household_id, thing.event())

    def _publish_now(self, changed: list[LiveThing]) -> None:
        assert self.publish_now is not None
        for thing in changed:
            self.publish_now(thing.household_id, thing.event())
        for thing in changed:  # after: nothing runs in between, and the event goes out sooner
            self._count(thing)

    def _count(self, thing: LiveThing) -> None:
        self.writer.mark(thing)
        self.events += 1
        EVENTS_PUBLISHED.inc()

    def _follow(self, account_id: int, deviceid: str) -> list[LiveThing]:
        """Groups holding a changed device take their state from their members: the groups
        whose state that changed."""
        devices = self._accounts.get(account_id, {})
        changed = []
        for group in self._groups.get(account_id, ()):
            if deviceid not in (group.members or ()) or not isinstance(group.plugin, GroupPlugin):
                continue
            members = [devices[m].params for m in group.members or () if m in devices]
            group.params = group.plugin.follow_members(group.params, members)
            before = group.state
            if group.refresh_state() != before:
                group.last_update = timezone.now()
                changed.append(group)
        return changed
