"""The realtime worker's CPU per device event, in-process: ingest → thing event → encoded.

What `on_params` costs for a report that changes what a card shows (the plugin's merge and
state, the card body and status line, the event's channel-layer encoding), without sockets,
Redis or the database, so the figure is CPU time (`time.process_time`) and holds on a busy
machine where wall times do not. Every event sets a Zigbee TH sensor's temperature to a new
value (n % 6000, as `live_latency.py`'s load does), so card bodies miss their cache as a
chatty meter's do.

    .venv/bin/python bench/worker_cpu.py [--events 20000] [--devices 200] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django

django.setup()

from channels.layers import get_channel_layer  # noqa: E402
from django.utils import timezone  # noqa: E402

from devices.plugins.registry import default_registry  # noqa: E402
from realtime.events import PageEvent, group_message  # noqa: E402
from realtime.worker.ingest import Ingestor, LiveThing, StateWriter  # noqa: E402

SENSOR_UIID = 1770


def sensors(count: int) -> list[LiveThing]:
    things = []
    for pk in range(count):
        params: dict[str, Any] = {"temperature": "2100", "humidity": "5000", "battery": 90}
        plugin = default_registry.plugin_for(SENSOR_UIID, params, item_type=1)
        thing = LiveThing(
            pk=pk, household_id=1, cloud_id=f"d{pk}", uiid=SENSOR_UIID, item_type=1,
            params=params, tags={}, online=True, last_update=timezone.now(), plugin=plugin,
            time_zone="Europe/Paris",
        )  # fmt: skip
        thing.refresh_state()
        things.append(thing)
    return things


async def run(events: int, devices: int) -> tuple[float, int]:
    """CPU seconds for `events` reports, and the encoded bytes of the last event."""
    layer = get_channel_layer()
    sizes: list[int] = []

    async def publish(household_id: int, payload: PageEvent) -> None:
        sizes.append(len(layer.serialize(group_message(payload))))

    ingestor = Ingestor(publish, StateWriter())
    ingestor.load(1, sensors(devices))
    start = time.process_time()
    for n in range(events):
        await ingestor.on_params(1, f"d{n % devices}", {"temperature": str(n % 6000)})
    spent = time.process_time() - start
    assert len(sizes) == events, f"{len(sizes)} events published of {events}"
    return spent, sizes[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    asyncio.run(run(min(args.events, 2_000), args.devices))  # warm caches and imports
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(asyncio.run, run(args.events, args.devices))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        return
    spent, size = asyncio.run(run(args.events, args.devices))
    per_event = spent / args.events
    print(f"events {args.events:,} over {args.devices} sensors, event {size} bytes encoded")
    print(
        f"worker CPU per event: {per_event * 1e6:.1f} µs"
        f" ({1 / per_event:,.0f} events/s of one core)"
    )
    print(f"at 2,000 events/s: {2_000 * per_event:.0%} of one core")


if __name__ == "__main__":
    main()
