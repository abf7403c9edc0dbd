"""Meters' daily kWh: asked of the cloud, stored per day and outlet, summed for the bars.

The device answers an energy-history request with a report (notes §2.4, §3.3) that reaches
the realtime worker like any other: the worker hands it here (`store_history`) in its bulk
write and tells the thing's pages, which redraw the energy panel from the table. Asking is a
REST control (`POST /v2/device/thing/status`) from a Celery task, so no request waits on it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync
from django_scopes import scopes_disabled

import ewelink
from accounts.cloud import open_client
from accounts.linking import explain
from accounts.models import LinkStatus
from devices.models import Thing, ThingKind
from devices.plugins.base import EnergyHistory
from devices.presentation import plugin_for
from readings.models import EnergyDay

log = logging.getLogger(__name__)
DAYS_SHOWN = 30
MONTHS_SHOWN = 12


class EnergyFetchFailed(Exception):
    """The cloud refused the request; the message is shown to the user."""


def daily_totals(
    histories: Iterable[EnergyHistory], received: datetime, tz: str
) -> dict[tuple[int, date], float]:
    """(outlet, day) → kWh in the household's calendar; hours are summed into their days.

    From hours the oldest day is left out: it is only partly covered by the 720 hours.
    """
    local = received.astimezone(ZoneInfo(tz))
    totals: dict[tuple[int, date], float] = defaultdict(float)
    for history in histories:
        if history.hours >= 24:
            for back, kwh in enumerate(history.kwh):
                totals[history.outlet, local.date() - timedelta(days=back)] = kwh
            continue
        days = set()
        for back, kwh in enumerate(history.kwh):
            day = (local - timedelta(hours=back * history.hours)).date()
            totals[history.outlet, day] += kwh
            days.add(day)
        if len(days) > 1:
            totals.pop((history.outlet, min(days)), None)
    return {key: round(value, 2) for key, value in totals.items()}


def store_history(thing_id: int, histories: list[EnergyHistory], received: datetime) -> int:
    """Upsert the reported days of one thing; returns how many days were written."""
    with scopes_disabled():
        thing = Thing.objects.select_related("household").filter(pk=thing_id).first()
        if thing is None:
            return 0
        totals = daily_totals(histories, received, thing.household.time_zone)
        rows = [
            EnergyDay(thing=thing, outlet=outlet, day=day, kwh=kwh, fetched_at=received)
            for (outlet, day), kwh in totals.items()
        ]
        EnergyDay.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["thing", "outlet", "day"],
            update_fields=["kwh", "fetched_at"],
        )
    return len(rows)


@dataclass(frozen=True)
class EnergyView:
    """What the energy panel draws: daily and monthly totals, and per outlet."""

    days: list[tuple[date, float]]  # the last DAYS_SHOWN days, oldest first (0 when unknown)
    months: list[tuple[date, float]]  # first day of each of the last MONTHS_SHOWN months
    outlets: list[tuple[int, float, float]]  # (outlet, today, this month) of multi-outlet
    fetched_at: datetime | None

    @property
    def has_data(self) -> bool:
        return self.fetched_at is not None


def energy_view(thing: Thing, today: date) -> EnergyView:
    """Totals for the panel, from the stored days (the thing is already scoped)."""
    first_month = _months_back(today.replace(day=1), MONTHS_SHOWN - 1)
    rows = list(
        EnergyDay.objects.filter(thing=thing, day__gte=first_month, day__lte=today).values_list(
            "outlet", "day", "kwh", "fetched_at"
        )
    )
    outlets = {outlet for outlet, *_ in rows}
    # A multi-outlet meter reports per outlet only; a whole-device row wins when both exist.
    whole = [r for r in rows if r[0] == 0] or rows
    per_day: dict[date, float] = defaultdict(float)
    for _outlet, day, kwh, _at in whole:
        per_day[day] += kwh
    per_month: dict[date, float] = defaultdict(float)
    for day, kwh in per_day.items():
        per_month[day.replace(day=1)] += kwh
    days = [today - timedelta(days=back) for back in range(DAYS_SHOWN - 1, -1, -1)]
    months = [_months_back(today.replace(day=1), back) for back in range(MONTHS_SHOWN - 1, -1, -1)]
    by_outlet = [
        (
            outlet,
            round(sum(k for o, d, k, _ in rows if o == outlet and d == today), 2),
            round(sum(k for o, d, k, _ in rows if o == outlet and d >= today.replace(day=1)), 2),
        )
        for outlet in sorted(outlets - {0})
    ]
    return EnergyView(
        days=[(day, round(per_day.get(day, 0.0), 2)) for day in days],
        months=[(month, round(per_month.get(month, 0.0), 2)) for month in months],
        outlets=by_outlet,
        fetched_at=max((r[3] for r in rows), default=None),
    )


def _months_back(first: date, count: int) -> date:
    month = first.year * 12 + first.month - 1 - count
    return date(month // 12, month % 12 + 1, 1)


def keeps_energy(thing: Thing) -> bool:
    """Whether the thing is a meter that keeps an energy history the cloud can be asked for."""
    return thing.kind == ThingKind.DEVICE and bool(plugin_for(thing).energy_requests(thing.params))


def request_history(thing: Thing) -> int:
    """Ask the device for its energy history (REST controls, one per request); returns how
    many were sent. The answer arrives as a report on the account's live socket."""
    requests = plugin_for(thing).energy_requests(thing.params)
    if not requests:
        raise EnergyFetchFailed("This device keeps no energy history.")
    if thing.account.status != LinkStatus.ACTIVE:
        raise EnergyFetchFailed("Its eWeLink account needs attention first.")
    try:
        async_to_sync(_send)(thing, requests)
    except ewelink.DeviceOfflineError:
        raise EnergyFetchFailed("The meter is offline.") from None
    except ewelink.DeviceTimeoutError:
        raise EnergyFetchFailed("The meter did not answer in time.") from None
    except ewelink.EWeLinkError as exc:
        raise EnergyFetchFailed(explain(exc)) from None
    return len(requests)


async def _send(thing: Thing, requests: list[dict[str, object]]) -> None:
    async with open_client(thing.account) as client:
        for params in requests:  # one at a time, as the devices want (notes §3.3)
            await client.set_status(thing.cloud_id, params)


def meters_to_fetch() -> list[int]:
    """Online meters of active accounts, every household (the beat job's list)."""
    with scopes_disabled():
        things = Thing.objects.filter(
            kind=ThingKind.DEVICE, online=True, account__status=LinkStatus.ACTIVE
        ).only("pk", "uiid", "params", "item_type", "kind")
        return [thing.pk for thing in things if plugin_for(thing).energy_requests(thing.params)]


def fetch_for_thing(thing_id: int) -> int:
    """The task's body: ask one meter (outside any request, so unscoped by id)."""
    with scopes_disabled():
        thing = Thing.objects.select_related("account").filter(pk=thing_id).first()
    if thing is None:
        return 0
    try:
        return request_history(thing)
    except EnergyFetchFailed as exc:
        log.info("energy history of thing %s not fetched: %s", thing_id, exc)
        return 0
