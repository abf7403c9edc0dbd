"""Writes the events only the logbook keeps, and tells open logbooks that there is news.

Account and membership events arrive by signals (accounts never imports the logbook);
online/offline transitions come in bulk from the realtime worker's state writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db.models.signals import post_delete, post_save
from django_scopes import scopes_disabled

from accounts.models import LinkedAccount, Membership, Role
from accounts.signals import account_event
from logbook.models import EventKind, LogbookEvent
from realtime.events import LogbookNews, publish

# (household, thing, online, when): one transition the worker saw.
Transition = tuple[int, int, bool, datetime]


def announce(household_id: int, kinds: Iterable[str]) -> None:
    """Open logbooks and history panels of the household fetch what is new (after commit)."""
    publish(household_id, LogbookNews(type="logbook", kinds=sorted(set(kinds))))


def record(household_id: int, kind: str, text: str, **links: Any) -> LogbookEvent:
    with scopes_disabled():
        event = LogbookEvent.objects.create(
            household_id=household_id, kind=kind, text=text[:300], **links
        )
    announce(household_id, [kind])
    return event


def record_transitions(transitions: Sequence[Transition]) -> set[int]:
    """One INSERT for a flush's online/offline transitions; the households they concern."""
    rows = [
        LogbookEvent(
            household_id=household_id,
            thing_id=thing_id,
            kind=EventKind.CONNECTIVITY,
            at=at,
            text="Came online" if online else "Went offline",
        )
        for household_id, thing_id, online, at in transitions
    ]
    with scopes_disabled():
        LogbookEvent.objects.bulk_create(rows)
    return {row.household_id for row in rows}


def _account_event(sender: Any, account_id: int, household_id: int, text: str, **_: Any) -> None:
    record(household_id, EventKind.ACCOUNT, text, account_id=account_id)


def _account_saved(sender: Any, instance: LinkedAccount, created: bool, **_: Any) -> None:
    if created:
        record(
            instance.household_id,
            EventKind.ACCOUNT,
            f"eWeLink account {instance.label} linked",
            account_id=instance.pk,
            user_id=instance.created_by_id,
        )


def _member_name(membership: Membership) -> str:
    user = membership.user
    return str(getattr(user, "email", "") or user.get_username())


def _membership_saved(
    sender: Any, instance: Membership, created: bool, update_fields: Any = None, **_: Any
) -> None:
    role = Role(instance.role).label.lower()
    if created:
        text = f"{_member_name(instance)} joined as {role}"
    elif update_fields is None or "role" in update_fields:
        text = f"{_member_name(instance)} is now {role}"
    else:
        return
    record(instance.household_id, EventKind.MEMBERSHIP, text)


def _membership_deleted(sender: Any, instance: Membership, origin: Any = None, **_: Any) -> None:
    if not isinstance(origin, Membership):
        return  # a household or user being deleted takes its memberships along: no news
    record(instance.household_id, EventKind.MEMBERSHIP, f"{_member_name(instance)} left")


def connect() -> None:
    uid = "logbook.recording"
    account_event.connect(_account_event, dispatch_uid=f"{uid}.account")
    post_save.connect(_account_saved, sender=LinkedAccount, dispatch_uid=f"{uid}.linked")
    post_save.connect(_membership_saved, sender=Membership, dispatch_uid=f"{uid}.ms_save")
    post_delete.connect(_membership_deleted, sender=Membership, dispatch_uid=f"{uid}.ms_del")
