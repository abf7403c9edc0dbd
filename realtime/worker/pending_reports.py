"""Device reports that came while a resync ran, kept compact.

A resync's snapshot may predate them, so they are applied again on top of it. Under the
cloud etiquette governor a resync can wait many minutes (after a worker starts, every account
it holds heals at once, and the cloud allows about one call a second), while a chatty account
keeps reporting: each device keeps one folded update per run of reports, not every report.
A worker at 1,600 events/s otherwise held 34,000 reports after 40 s, and the garbage
collector's full passes over them stalled its event loop for up to 150 ms.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from devices.plugins.arrays import fold_params
from devices.plugins.base import DevicePlugin

Kind = Literal["params", "online"]


def merges_by_default(plugin: DevicePlugin) -> bool:
    """Whether the plugin merges updates with `merge_params`, which `fold_params` mirrors."""
    return type(plugin).merge is DevicePlugin.merge


class PendingReports:
    """Per device, in order: updates (consecutive ones folded into one) and online flags."""

    def __init__(self) -> None:
        self._by_device: dict[str, list[tuple[Kind, Any]]] = {}
        self._count = 0  # entries: a gauge reads every connection's each round

    def params(self, deviceid: str, params: dict[str, Any], *, foldable: bool = True) -> None:
        """An update; `foldable` is False when the device's plugin merges its own way."""
        entries = self._by_device.setdefault(deviceid, [])
        if foldable and entries and entries[-1][0] == "params":
            folded = fold_params(entries[-1][1], params)
            if folded is not None:
                entries[-1] = ("params", folded)
                return
        entries.append(("params", params))
        self._count += 1

    def online(self, deviceid: str, online: bool) -> None:
        # Never folded: going offline during a firmware upgrade marks the device rebooted.
        self._by_device.setdefault(deviceid, []).append(("online", online))
        self._count += 1

    def __iter__(self) -> Iterator[tuple[str, Kind, Any]]:
        for deviceid, entries in self._by_device.items():
            for kind, value in entries:
                yield deviceid, kind, value

    def __len__(self) -> int:
        return self._count
