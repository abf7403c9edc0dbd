"""Runs every device's `timers` on the simulated clock, like the devices themselves would.

An index keeps each device's next due moment in a heap, so a tick costs nothing for the
thousands of devices without enabled timers. Devices whose `timers` changed are listed in
`SimState.timers_changed` and re-indexed on the next tick; a replaced state (reset, load)
is indexed afresh. A watermark (`checked_until`) makes every due moment fire at most once,
whether the clock reaches it by itself or by `/_sim/clock`.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from . import device_changes, timers
from .state import Device, SimState

if TYPE_CHECKING:
    from .cloud import Cloud

log = logging.getLogger("cloudsim")
TICK_S = 1.0


class TimerRunner:
    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.lock = asyncio.Lock()
        self.state: SimState | None = None
        self.heap: list[tuple[datetime, str]] = []
        self.next_due: dict[str, datetime] = {}
        self.checked_until = cloud.clock.now()

    def restart(self) -> None:
        """After a reset: nothing indexed, nothing before the (reset) clock's now fires."""
        self.state = None
        self.heap, self.next_due = [], {}
        self.checked_until = self.cloud.clock.now()

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self.run_due()
            except Exception:
                log.exception("timer tick failed")

    async def run_due(self) -> int:
        """Fire everything due in (checked_until, now], in time order; how many fired."""
        async with self.lock:
            self.sync_index()
            now = self.cloud.clock.now()
            if now <= self.checked_until:
                return 0
            due = self.collect(self.checked_until, now)
            self.checked_until = now
            fired = 0
            for item, device in due:
                fired += await self.fire(device, item)
            return fired

    # ---- the index ---------------------------------------------------------
    def sync_index(self) -> None:
        state = self.cloud.state
        if state is not self.state:
            self.state, self.heap, self.next_due = state, [], {}
            state.timers_changed = set(state.devices)
        changed, state.timers_changed = state.timers_changed, set()
        for deviceid in changed:
            self.index(deviceid, self.checked_until)

    def index(self, deviceid: str, after: datetime) -> None:
        device = self.cloud.state.devices.get(deviceid)
        when = timers.earliest_due(device.params.get("timers"), after) if device else None
        if when is None:
            self.next_due.pop(deviceid, None)
            return
        self.next_due[deviceid] = when
        heapq.heappush(self.heap, (when, deviceid))

    def collect(self, after: datetime, until: datetime) -> list[tuple[timers.Due, Device]]:
        """The due firings of the devices whose next moment has come; re-index them."""
        found: list[tuple[timers.Due, Device]] = []
        while self.heap and self.heap[0][0] <= until:
            when, deviceid = heapq.heappop(self.heap)
            if self.next_due.get(deviceid) != when:
                continue  # stale: the device's timers changed since
            del self.next_due[deviceid]
            device = self.cloud.state.devices.get(deviceid)
            if device is None:
                continue
            for i, timer in enumerate(device.params.get("timers") or []):
                found += [(due, device) for due in timers.due_between(timer, after, until, i)]
            self.index(deviceid, until)
        found.sort(key=lambda pair: (pair[0].when, pair[1].deviceid, pair[0].index))
        return found

    # ---- firing ------------------------------------------------------------
    async def fire(self, device: Device, due: timers.Due) -> int:
        """Act as the device: apply the action, and disable a once timer that fired.

        An offline (or unowned) device does nothing; a timer disabled or removed since it
        was collected does not fire.
        """
        if not device.online or not device.owner or not self.still_enabled(device, due.mid):
            return 0
        if due.action:
            await device_changes.device_update(self.cloud, device, dict(due.action))
        if due.once:
            changed = timers.disabled(device.params["timers"], due.mid)
            await device_changes.device_update(
                self.cloud, device, {"timers": changed}, history=False
            )
        return 1

    @staticmethod
    def still_enabled(device: Device, mid: str) -> bool:
        current = device.params.get("timers")
        return isinstance(current, list) and any(
            isinstance(t, dict) and t.get("mId") == mid and t.get("enabled") == 1 for t in current
        )
