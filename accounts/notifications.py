"""Household notifications: what the household should see once (lost sign-in, new firmware).

Each new notification also goes to the household's open pages as a `notification` event, and
an account that needs relinking as an `account` event, after the transaction commits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db.models import QuerySet
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import (
    LinkedAccount,
    Membership,
    Notification,
    NotificationKind,
    Role,
)
from accounts.services import require_role

if TYPE_CHECKING:  # the page protocol's types only: accounts never imports realtime at run time
    from realtime.events import AccountEvent, AccountStatus, ConnectionName, NotificationEvent
from accounts.signals import household_event


def notify(household_id: int, kind: str, title: str, body: str = "") -> Notification:
    """Store a notification for the household and tell its open pages."""
    with scope(household=household_id):
        notification = Notification.objects.create(
            household_id=household_id, kind=kind, title=title[:200], body=body
        )
        unread = unread_count(household_id)
    _publish(
        household_id,
        {
            "type": "notification",
            "id": notification.pk,
            "kind": kind,
            "title": notification.title,
            "unread": unread,
        },
    )
    return notification


def account_needs_relink(account_id: int) -> Notification:
    """Tell the household that an account's sign-in was lost and it must be linked again."""
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    _publish(
        account.household_id,
        {
            "type": "account",
            "id": account.pk,
            "connection": cast("ConnectionName", account.connection_state),
            "status": cast("AccountStatus", account.status),
        },
    )
    return notify(
        account.household_id,
        NotificationKind.NEEDS_RELINK,
        f"{account.label} needs to be linked again",
        account.last_error or "The eWeLink cloud no longer accepts its sign-in.",
    )


def unread_count(household_id: int) -> int:
    with scope(household=household_id):
        return Notification.objects.filter(household_id=household_id, read_at=None).count()


def for_household(household_id: int) -> QuerySet[Notification]:
    """The household's notifications, newest first (call inside the household's scope)."""
    return Notification.objects.filter(household_id=household_id)


def mark_read(actor: Membership, notification: Notification) -> None:
    """Members and up mark a notification read; guests only look."""
    require_role(actor, Role.MEMBER)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def mark_all_read(actor: Membership) -> int:
    require_role(actor, Role.MEMBER)
    return Notification.objects.filter(household=actor.household, read_at=None).update(
        read_at=timezone.now()
    )


def _publish(household_id: int, payload: NotificationEvent | AccountEvent) -> None:
    # realtime listens and sends it to the pages once the transaction commits.
    household_event.send(sender=Notification, household_id=household_id, payload=payload)
