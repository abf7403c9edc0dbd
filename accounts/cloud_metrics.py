"""Metrics of the cloud client in this process: REST calls, cloud errors, the governor.

`ewelink` keeps no metrics (it knows no Django nor Prometheus): it reports through
`ewelink.telemetry` hooks, which `install()` points here once per process (AccountsConfig).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

import ewelink
from ewelink import telemetry

CLOUD_CALLS = Counter(
    "dashboard_cloud_calls", "REST calls to the eWeLink cloud, by interface", ["interface"]
)
CLOUD_ERRORS = Counter(
    "dashboard_cloud_errors",
    "Cloud errors by code (an HTTP status when the answer had none, 'network' when no "
    "answer came), on REST calls or websocket commands",
    ["code", "via"],
)
GOVERNOR_CALLS = Counter(
    "dashboard_governor_calls", "Calls the etiquette governor let through", ["interface"]
)
GOVERNOR_WAITS = Counter(
    "dashboard_governor_waits", "Calls the governor made wait for their slot", ["interface"]
)
GOVERNOR_WAITED = Counter(
    "dashboard_governor_wait_seconds", "Seconds calls waited for their slot, in total"
)
GOVERNOR_REFUSED = Counter(
    "dashboard_governor_refused",
    "Times an account was turned away because it had used its share of the 5-minute window",
    ["interface"],
)


def count_call(path: str, code: int | None) -> None:
    """`ewelink.telemetry` call hook: one REST answer (or none)."""
    CLOUD_CALLS.labels(path).inc()
    if code != 0:
        CLOUD_ERRORS.labels("network" if code is None else str(code), "rest").inc()


def count_paced(interface: str, waited: float) -> None:
    """`ewelink.telemetry` paced hook: a call granted, after `waited` seconds."""
    GOVERNOR_CALLS.labels(interface).inc()
    if waited > 0:
        GOVERNOR_WAITS.labels(interface).inc()
        GOVERNOR_WAITED.inc(waited)


def count_refused(interface: str) -> None:
    """`ewelink.telemetry` refused hook."""
    GOVERNOR_REFUSED.labels(interface).inc()


class GovernorBudget(Collector):
    """`dashboard_governor_budget_left`, read when scraped (never on the call path)."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()  # registering must not read Redis

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from accounts.governor import budget_left

        family = self._family()
        left = budget_left(ewelink.default_governor())
        if left is not None:
            family.add_metric([], left)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "dashboard_governor_budget_left",
            "Calls still allowed in the current 5-minute window (deployment-wide with the "
            "shared governor)",
        )


_BUDGET = GovernorBudget()
_installed = False


def install() -> None:
    """Count this process's cloud calls and governor decisions (once per process)."""
    global _installed
    telemetry.set_hooks(telemetry.Hooks(call=count_call, paced=count_paced, refused=count_refused))
    if not _installed:
        REGISTRY.register(_BUDGET)
        _installed = True
