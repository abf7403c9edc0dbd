"""The thing page's readings and energy panels (registered in devices.thing_page.PANELS).

The readings panel is drawn once and then kept by the page's chart script, which appends
each live value from the socket's thing frames; the energy panel is redrawn (it is a live
panel) when a meter's energy report has been stored.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from devices.models import Thing
from devices.plugins.base import DevicePlugin
from readings import charts, energy


def readings_panel(thing: Thing, plugin: DevicePlugin, viewer: Any) -> dict[str, Any]:
    """One chart per unit of the plugin's chart series, and the ranges to pick from."""
    return {
        "chart_groups": [
            (unit, series, ",".join(s.key for s in series))
            for unit, series in charts.chart_groups(plugin.charts())
        ],
        "ranges": list(charts.RANGE_LABELS.items()),
    }


def energy_panel(thing: Thing, plugin: DevicePlugin, viewer: Any) -> dict[str, Any]:
    """Daily and monthly kWh bars of a meter, and its live power beside them."""
    if not energy.keeps_energy(thing):
        return {"keeps_energy": False}
    today = timezone.now().astimezone(ZoneInfo(thing.household.time_zone)).date()
    view = energy.energy_view(thing, today)
    bars = {
        "days": [[day.isoformat(), kwh] for day, kwh in view.days],
        "months": [[month.isoformat(), kwh] for month, kwh in view.months],
    }
    state = plugin.state(thing.params, thing.tags)
    power = [(s, state.get(s.key)) for s in plugin.charts() if s.key.startswith("power")]
    return {
        "keeps_energy": True,
        "energy": view,
        "bars_json": bars,
        "bars_id": f"energy-bars-{thing.pk}",
        "today_kwh": view.days[-1][1] if view.days else 0,
        "month_kwh": view.months[-1][1] if view.months else 0,
        "live_power": power,
    }
