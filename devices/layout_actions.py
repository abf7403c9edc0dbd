"""A change of a linked account's layout (homes, rooms, groups, the order of things): the
cloud first, then the rows, then the record.

`perform_layout` runs the cloud call with the account's client; only if the cloud accepted it
does `apply` change the rows, in one transaction that also announces the `StructureChange`
(every open page redraws what it names). Each attempt is recorded as a `LayoutAction`: a
thing's `ThingAction` has no account to list by, and a home is not a thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

import ewelink
from accounts.models import LinkedAccount, Membership
from devices.models import LayoutAction
from devices.structure import StructureChange, announce
from devices.thing_actions import ActionFailed, CloudCall, call_cloud, cloud_message

T = TypeVar("T")
ONLY_HOME = (
    "This is the account's only home, and the eWeLink cloud never deletes an account's only "
    "home (error 20003): create another home first, then delete this one."
)
GONE = (
    "The eWeLink cloud no longer knows this {what}: it was probably changed in the eWeLink "
    "app. Resync the account to see its homes as they are now."
)
# What each kind of layout action is about, for the words of a refusal.
SUBJECTS = {"home": "home", "room": "room", "group": "group", "things": "device"}


def perform_layout(
    actor: Membership,
    account: LinkedAccount,
    action: str,
    subject: str,
    call: CloudCall[T],
    apply: Callable[[T], tuple[Any, StructureChange]],
    detail: dict[str, Any] | None = None,
    words: Callable[[ewelink.EWeLinkError], str] | None = None,
) -> Any:
    """Run `call` with the account's client; only if the cloud accepted, `apply` and announce.

    Raises ActionFailed (recorded as failed, nothing changed here) when the cloud refuses;
    `words` says an action's own refusals (default: `explain`)."""
    try:
        result = call_cloud(account, call)
    except ewelink.EWeLinkError as exc:
        message = words(exc) if words is not None else explain(exc, action)
        record_layout(actor, account, action, subject, "failed", message, detail)
        raise ActionFailed(message) from None
    with transaction.atomic():
        done, change = apply(result)
        announce(account.household_id, change)
        record_layout(actor, account, action, subject, "ok", "", detail)
    return done


def explain(error: ewelink.EWeLinkError, action: str) -> str:
    """The cloud's refusals of a layout change, in words."""
    if error.code == 20003:
        return ONLY_HOME
    if error.code == 20002:
        return "The eWeLink cloud allows no more homes or rooms on this account's plan."
    if isinstance(error, ewelink.NotFoundError):
        return GONE.format(what=SUBJECTS.get(action.split("_")[0], "home"))
    return cloud_message(error)


def record_layout(
    actor: Membership,
    account: LinkedAccount,
    action: str,
    subject: str,
    result: str,
    message: str = "",
    detail: dict[str, Any] | None = None,
) -> LayoutAction:
    return LayoutAction.objects.create(
        household_id=account.household_id,
        account=account,
        user_id=actor.user_id,
        action=action,
        subject=subject[:200],
        detail=detail or {},
        result=result,
        message=message[:300],
    )
