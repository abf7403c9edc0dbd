"""Devices that live: sensors drift, buttons get pressed, devices drop offline and return."""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING

from .device_changes import device_update, set_online
from .state import Device
from .uiids import model_for

if TYPE_CHECKING:
    from .cloud import Cloud

LIVE_REPORT_S = 2.0  # how often a meter reports while uiActive is fresh
OFFLINE_SHARE = 0.03  # share of behaviour events that take a device offline
OFFLINE_FOR_S = (3.0, 15.0)
ALARM_KEYS = {"smoke": "smoke", "water": "leak"}


class Behaviour:
    """A seeded loop at `behaviour_rate` events/s plus live meter reports under uiActive."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.rng = random.Random(cloud.settings.seed)
        self.last_live = 0.0

    def reseed(self, seed: int) -> None:
        self.rng = random.Random(seed)

    async def run_forever(self) -> None:
        while True:
            rate = self.cloud.settings.behaviour_rate
            await asyncio.sleep(self.rng.expovariate(rate) if rate > 0 else 0.2)
            if rate > 0:
                await self.one_event()
            live_on = self.cloud.settings.live_reports
            if live_on and time.monotonic() - self.last_live >= LIVE_REPORT_S:
                self.last_live = time.monotonic()
                await self.live_reports()

    async def one_event(self) -> None:
        candidates = [d for d in self.cloud.state.devices.values() if d.owner and d.online]
        if not candidates:
            return
        device = self.rng.choice(candidates)
        if self.rng.random() < OFFLINE_SHARE and not device.parentid:
            self.cloud.spawn_for_state(self.outage(device, self.rng.uniform(*OFFLINE_FOR_S)))
            return
        live = device.ui_active_until > time.time()
        change = model_for(device.uiid).drift(device.params, self.rng, live)
        await device_update(self.cloud, device, change)
        self.raise_alarms(device, change)

    async def outage(self, device: Device, seconds: float) -> None:
        await set_online(self.cloud, device, False)
        await asyncio.sleep(seconds)
        if not device.ota_hung:  # a hung upgrade outlasts the outage
            await set_online(self.cloud, device, True)

    async def live_reports(self) -> None:
        """Meters report power only while a client keeps `uiActive` fresh (notes §4 #5)."""
        now = time.time()
        for device in list(self.cloud.state.devices.values()):
            if device.ui_active_until > now and device.online:
                model = model_for(device.uiid)
                if model.live_keys:
                    await device_update(
                        self.cloud, device, model.drift(device.params, self.rng, True)
                    )

    def raise_alarms(self, device: Device, change: dict[str, object]) -> None:
        for key, kind in ALARM_KEYS.items():
            if change.get(key) == 1 and device.owner and device.settings.get("alarmNotify", 1):
                body = {"deviceid": device.deviceid, "deviceName": device.name, "alarm": kind}
                self.cloud.state.add_message(device.owner, device.familyid, "alarmNotify_v2", body)
