"""Moments in words people read, in the household's time zone.

One helper for every page: "just now", "3 min ago", "today 14:02", "yesterday 09:10",
"Mon 14:02", "2 Dec 14:02", "2 Dec 2025". The zone is Django's current one, which the
household middleware (pages) and `devices.presentation.card_body` (card bodies) set to the
household's. Relative words ("3 min ago") go stale in anything cached or sent once, so card
bodies ask for the absolute forms (``relative=False``): "today 14:02" stays true all day.
"""

from __future__ import annotations

import math
import zoneinfo
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import dateformat, timezone

JUST_NOW = timedelta(minutes=1)
AN_HOUR = timedelta(hours=1)
A_WEEK_DAYS = 7
# Epoch numbers at or above this are milliseconds (the cloud's trigTime), below it seconds.
MILLIS_FROM = 10**11
LATEST_EPOCH = 10**14  # beyond year 5000 in ms: garbage, not a moment


def parse_moment(value: Any) -> datetime | None:
    """An aware datetime from what the cloud and our state hold, None when unreadable.

    Takes datetimes (naive ones are UTC), ISO 8601 strings ("2026-12-02T02:22:27.000Z") and
    epoch numbers in seconds or milliseconds, as numbers or digit strings.
    """
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return _from_epoch(int(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)
    if isinstance(value, int | float) and math.isfinite(value):
        return _from_epoch(value)
    return None


def _from_epoch(number: float) -> datetime | None:
    if not 0 < number < LATEST_EPOCH:
        return None
    seconds = number / 1000 if number >= MILLIS_FROM else number
    return datetime.fromtimestamp(seconds, tz=UTC)


def in_words(
    value: Any, now: datetime | None = None, *, relative: bool = True, zone: tzinfo | None = None
) -> str:
    """``value`` (anything `parse_moment` reads) in words, in ``zone`` (default: the current).

    ``relative`` allows "just now" and "3 min ago" for the last hour; without it the words
    depend only on the day, as cached card bodies need. Unreadable values give "".
    """
    moment = parse_moment(value)
    if moment is None:
        return ""
    zone = zone or timezone.get_current_timezone()
    now = now or timezone.now()
    age = now - moment
    if relative and -JUST_NOW < age < JUST_NOW:  # a little ahead is the device's clock
        return "just now"
    if relative and JUST_NOW <= age < AN_HOUR:
        return f"{age // JUST_NOW} min ago"
    return _by_day(moment.astimezone(zone), now.astimezone(zone).date())


def _by_day(local: datetime, today: date) -> str:
    """The words for a local time, by how many days before ``today`` it is."""
    days = (today - local.date()).days  # negative: in the future
    if days == 0:
        return dateformat.format(local, r"\t\o\d\a\y H:i")
    if days == 1:
        return dateformat.format(local, r"\y\e\s\t\e\r\d\a\y H:i")
    if days == -1:
        return dateformat.format(local, r"\t\o\m\o\r\r\o\w H:i")
    if 1 < days < A_WEEK_DAYS:
        return dateformat.format(local, "D H:i")
    if local.year == today.year:
        return dateformat.format(local, "j M H:i")
    return dateformat.format(local, "j M Y")


def today_in(zone: tzinfo) -> date:
    """Today's date in ``zone``: what absolute words ("today 14:02") depend on.

    Card bodies are keyed by it on the worker's hot path, so each zone's date is kept until
    its next local midnight rather than worked out on every call.
    """
    now = timezone.now().timestamp()
    known = _TODAY.get(zone)
    if known is not None and known[0] <= now < known[1]:
        return known[2]
    today = datetime.fromtimestamp(now, zone).date()
    starts, ends = (
        datetime.combine(day, datetime.min.time(), tzinfo=zone).timestamp()
        for day in (today, today + timedelta(days=1))
    )
    _TODAY[zone] = (starts, ends, today)
    return today


_TODAY: dict[tzinfo, tuple[float, float, date]] = {}  # zone → (day starts, day ends, date)


def zone_named(name: str | None) -> tzinfo:
    """The zone called ``name``; the site's default for a missing or unknown name."""
    for candidate in (name, settings.TIME_ZONE):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return UTC


def zone_names() -> tuple[str, ...]:
    """The zones a household may choose, sorted: IANA "Area/Place" names, UTC and the site's."""
    return _zone_names(settings.TIME_ZONE)


# The areas of IANA's geographic zones; legacy names ("US/Eastern", "EST", "localtime") are
# left out: nobody looks for those.
AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
     "Indian", "Pacific"}
)  # fmt: skip


@lru_cache(maxsize=4)
def _zone_names(site_zone: str) -> tuple[str, ...]:
    names = {n for n in zoneinfo.available_timezones() if n.split("/", 1)[0] in AREAS}
    return tuple(sorted(names | {"UTC", site_zone}))


def zone_choices() -> list[tuple[str, Any]]:
    """Choices for a select: UTC, then each area's places ("Europe" → "Berlin"), short enough
    for a phone."""
    groups: dict[str, list[tuple[str, str]]] = {}
    loose: list[tuple[str, Any]] = []
    for name in zone_names():
        area, _, place = name.rpartition("/")
        if area:
            groups.setdefault(area.replace("_", " "), []).append((name, place.replace("_", " ")))
        else:
            loose.append((name, name))
    return loose + list(groups.items())
