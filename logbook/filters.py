"""A logbook's query string → `Filters`, checked against the viewer's household and role.

A home, room, device or person of another household is a 404 (as any object of another
household is), never a silently empty or wider result. A date that is not a date is said
in words and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.http import Http404, QueryDict

from accounts.models import Membership, Role
from devices.models import Home, Room, Thing
from logbook.timeline import Filters, visible_kinds

ID_FILTERS: dict[str, Any] = {"home": Home, "room": Room, "thing": Thing}


@dataclass(frozen=True)
class Parsed:
    filters: Filters
    show_who: bool
    errors: list[str] = field(default_factory=list)


def parse(query: QueryDict, membership: Membership, zone: tzinfo) -> Parsed:
    """The filters a query asks for, within what the membership may see."""
    allowed = visible_kinds(membership.role)
    asked = [k for k in query.getlist("kind") if k]
    kinds = tuple(k for k in allowed if k in asked) if asked else allowed
    show_who = membership.has_role(Role.MEMBER)
    ids = {name: _own_id(query, name, membership) for name in ID_FILTERS}
    # Guests do not see who did what, so they cannot narrow by it either: ignored.
    person = _own_person(query, membership) if show_who else None
    errors: list[str] = []
    since = _day(query.get("since", ""), zone, errors, "From")
    until = _day(query.get("until", ""), zone, errors, "To")
    filters = Filters(
        kinds=kinds,
        since=since,
        until=until + timedelta(days=1) if until else None,  # "to" a day includes that day
        person=person,
        **ids,
    )
    return Parsed(filters, show_who, errors)


def _number(query: QueryDict, name: str) -> int | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise Http404(f"No such {name}.")
    return int(text)


def _own_id(query: QueryDict, name: str, membership: Membership) -> int | None:
    pk = _number(query, name)
    if pk is None:
        return None
    rows = ID_FILTERS[name].objects.filter(pk=pk, household_id=membership.household_id)
    if not rows.exists():
        raise Http404(f"No such {name}.")
    return pk


def _own_person(query: QueryDict, membership: Membership) -> int | None:
    pk = _number(query, "person")
    if pk is None:
        return None
    members = Membership.objects.filter(household_id=membership.household_id, user_id=pk)
    if not members.exists():
        raise Http404("No such person.")
    return pk


def _day(text: str, zone: tzinfo, errors: list[str], label: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label}: “{text[:20]}” is not a date; write it like 2026-12-01.")
        return None
    return datetime.combine(day, time.min, tzinfo=zone)
