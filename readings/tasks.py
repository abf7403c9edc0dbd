"""Readings' periodic work: roll-ups and pruning, and asking meters for their energy history.

Plain periodic tasks (not per-account jobs): the roll-up runs over every household's rows
in a few statements, and each meter's energy request is one small REST control.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.conf import settings

from readings import energy, rollup

log = logging.getLogger(__name__)
PLAIN_TASK: dict[str, Any] = {"acks_late": True, "ignore_result": True}


@shared_task(**PLAIN_TASK)
def roll_up_readings() -> dict[str, Any]:
    """Beat: summarize finished buckets into 5-minute and hourly roll-ups, prune old rows."""
    result = rollup.roll_up()
    log.info("readings roll-up: %s", result)
    return asdict(result)


@shared_task(**PLAIN_TASK)
def fetch_energy() -> int:
    """Beat: one energy-history request task per online meter."""
    meters = energy.meters_to_fetch()
    expires = settings.ENERGY_FETCH_MINUTES * 60 * 0.9
    for thing_id in meters:
        fetch_energy_for_thing.apply_async(args=[thing_id], expires=expires)
    return len(meters)


@shared_task(**PLAIN_TASK)
def fetch_energy_for_thing(thing_id: int) -> int:
    """Ask one meter for its energy history (the answer arrives on the live socket)."""
    return energy.fetch_for_thing(thing_id)
