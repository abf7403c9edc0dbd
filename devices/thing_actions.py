"""How a thing page's action runs: the cloud first, then the database, then the record.

Every action a person takes on a thing's page (rename, move, share, remove …) goes through
`perform`: the cloud call runs with the account's client; only if the cloud accepted it is
the change applied locally (and announced to every open page, in the same transaction);
either way the action is recorded with who did it and how it went. A cloud error, timeout
or offline device becomes `ActionFailed` with a sentence a person understands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from django.db import transaction

import ewelink
from accounts.cloud import open_client
from accounts.linking import explain
from accounts.models import LinkedAccount, Membership
from accounts.signals import household_event
from devices.models import Thing, ThingAction
from devices.structure import StructureChange, announce

T = TypeVar("T")
CloudCall = Callable[[ewelink.EWeLinkClient], Awaitable[T]]


class ActionFailed(Exception):
    """The action did not happen; `message` says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Cloud answers that deserve a plainer sentence on a thing page than the generic one.
DEVICE_MESSAGES: dict[type[ewelink.EWeLinkError], str] = {
    ewelink.DeviceOfflineError: "The device is offline, so it cannot take the change now.",
    ewelink.DeviceTimeoutError: "The device did not answer in time; nothing was changed.",
}


def perform(
    actor: Membership,
    thing: Thing,
    action: str,
    call: CloudCall[T],
    apply: Callable[[T], StructureChange | None] | None = None,
    *,
    detail: dict[str, Any] | None = None,
    explain: Callable[[ewelink.EWeLinkError], str | None] | None = None,
) -> T:
    """Run `call` against the thing's account, then `apply` its result locally; record both.

    Raises ActionFailed (recorded as failed) when the cloud refuses, times out or is down;
    `explain` may word an action's own refusals (None falls back to the generic words).
    """
    try:
        result = call_cloud(thing.account, call)
    except ewelink.EWeLinkError as exc:
        message = (explain(exc) if explain else None) or cloud_message(exc)
        record(actor, thing, action, "failed", message, detail)
        raise ActionFailed(message) from None
    with transaction.atomic():
        change = apply(result) if apply is not None else None
        if change:
            announce(thing.household_id, change)
        record(actor, thing, action, "ok", "", detail)
    return result


def cloud_message(error: ewelink.EWeLinkError) -> str:
    for kind, message in DEVICE_MESSAGES.items():
        if isinstance(error, kind):
            return message
    return explain(error)


def record(
    actor: Membership,
    thing: Thing,
    action: str,
    result: str,
    message: str = "",
    detail: dict[str, Any] | None = None,
) -> ThingAction:
    """Write down who did what to which thing, and how it went (open logbooks hear of it)."""
    news = {"type": "logbook", "kinds": ["action"]}
    household_event.send(sender=ThingAction, household_id=thing.household_id, payload=news)
    return ThingAction.objects.create(
        household_id=thing.household_id,
        thing=thing if thing.pk else None,
        thing_name=thing.name,
        user_id=actor.user_id,
        action=action,
        detail=detail or {},
        result=result,
        message=message[:300],
    )


def call_cloud(account: LinkedAccount, call: CloudCall[T]) -> T:
    """Run `call` with a client of `account` (from sync code: views, services, tasks)."""
    return async_to_sync(_run)(account, call)


async def _run(account: LinkedAccount, call: CloudCall[T]) -> T:
    async with open_client(account) as client:
        return await call(client)
