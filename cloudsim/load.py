"""`/_sim/load`: push device-side `update` events at a fixed rate, for benchmarks."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from .device_changes import device_update
from .uiids import model_for

if TYPE_CHECKING:
    from .cloud import Cloud

TICK_S = 0.01
RECORD_CAP = 100_000


class LoadGenerator:
    """Spreads `rate` events a second over the chosen devices for `duration` seconds."""

    def __init__(self, cloud: Cloud, spec: dict[str, Any]) -> None:
        self.cloud = cloud
        self.rate = _positive(spec.get("rate", 10), "rate")
        self.duration = _positive(spec.get("duration", 10), "duration")
        wanted = spec.get("deviceids")
        if wanted is not None and not isinstance(wanted, list):
            raise ValueError("deviceids must be a list")
        pool = (
            [cloud.state.devices[d] for d in wanted if d in cloud.state.devices]
            if wanted
            else [d for d in cloud.state.devices.values() if d.online and d.owner]
        )
        if not pool:
            raise ValueError("no devices to drive")
        self.devices = pool
        self.sent = 0
        self.started = 0.0
        self.records: deque[tuple[str, str, Any, float]] = deque(maxlen=RECORD_CAP)
        self.task: asyncio.Task[Any] | None = None

    def start(self) -> None:
        self.started = time.monotonic()
        self.task = self.cloud.spawn(self.run())

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def run(self) -> None:
        """Catch up every tick; exactly rate x duration events in all."""
        total = int(self.rate * self.duration)
        while self.sent < total:
            elapsed = time.monotonic() - self.started
            target = min(total, int(elapsed * self.rate))
            for _ in range(target - self.sent):
                await self.one_event()
            if self.sent < total:
                await asyncio.sleep(TICK_S)

    async def one_event(self) -> None:
        device = self.devices[self.sent % len(self.devices)]
        params = model_for(device.uiid).load_event(device.params, self.sent)
        self.sent += 1
        key = next(iter(params))
        self.records.append((device.deviceid, key, params[key], time.time()))
        await device_update(self.cloud, device, params)

    def status(self, records: bool = False) -> dict[str, Any]:
        elapsed = max(1e-9, time.monotonic() - self.started) if self.started else 0
        out: dict[str, Any] = {
            "running": self.running,
            "sent": self.sent,
            "rate": self.rate,
            "duration": self.duration,
            "devices": len(self.devices),
            "achieved_rate": round(self.sent / elapsed, 1) if elapsed else 0,
        }
        if records:
            out["records"] = [list(r) for r in self.records]
        return out


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{name} must be a positive number")
    return float(value)
