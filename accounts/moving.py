"""Moving a linked account, and everything it brought, to another household.

A linked account's homes, rooms, things, shares, history, messages, firmware updates, job runs
and command records each carry their own `household` (that is what the tenancy scopes filter
on), so changing only the account's household would leave them, and the control of the
devices, with the old one. `move_account` changes every household-owned row that belongs to
the account in one transaction. The rows are found through the models' foreign keys, so a
household-owned model added later is moved too without being listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import Q
from django_scopes import scopes_disabled

from accounts import layout
from accounts.models import Household, LinkedAccount

# Foreign-key hops followed from a household-owned model to its linked account.
_MAX_DEPTH = 3


def _household_owned(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("household")
    except FieldDoesNotExist:
        return False
    return bool(field.many_to_one and field.related_model is Household)


def account_paths(model: type[models.Model], depth: int = _MAX_DEPTH) -> list[str]:
    """Lookups that lead from `model` to LinkedAccount (e.g. `account`, `thing__account`)."""
    if depth == 0:
        return []
    paths = []
    for field in model._meta.get_fields():
        if not (field.many_to_one and field.concrete) or field.name == "household":
            continue
        target = field.related_model
        if target is LinkedAccount:
            paths.append(field.name)
        elif target is not model and _household_owned(target):
            paths += [f"{field.name}__{path}" for path in account_paths(target, depth - 1)]
    return paths


def owned_models() -> list[tuple[type[models.Model], list[str]]]:
    """Every household-owned model that can belong to a linked account, with its paths."""
    found = []
    for model in apps.get_models():
        if model is LinkedAccount or not _household_owned(model):
            continue
        paths = account_paths(model)
        if paths:
            found.append((model, paths))
    return found


@dataclass(frozen=True)
class MoveResult:
    old_household_id: int
    rows: dict[str, int]  # model label → rows moved


class MoveError(Exception):
    """The move cannot be done (said to the administrator as is)."""


def move_account(account_id: int, to: Household) -> MoveResult:
    """Move the account and all its household-owned rows to `to`, atomically.

    Both households' open pages are told once the move committed: the old one sees the
    account go (its cards go stale, a reload drops them), the new one sees it arrive. The
    realtime worker holding the account restarts it for the new household.
    """
    from realtime.events import publish

    with scopes_disabled(), transaction.atomic():
        account = LinkedAccount.objects.select_for_update().get(pk=account_id)
        old = account.household_id
        if old == to.pk:
            raise MoveError(f"{account.label} already belongs to {to}.")
        rows: dict[str, int] = {}
        for model, paths in owned_models():
            match = Q()
            for path in paths:
                match |= Q(**{path: account})
            moved = model._base_manager.filter(match).exclude(household=to).update(household=to)
            if moved:
                rows[model._meta.label] = moved
        account.household = to
        account.save(update_fields=["household"])
        rows[LinkedAccount._meta.label] = 1
        # The worker restarts the account for its new household: it is connecting there.
        gone = {"type": "account", "id": account.pk, "connection": "offline", "status": "disabled"}
        publish(old, gone)
        publish(to.pk, {**gone, "connection": "connecting", "status": account.status})
        for household_id in (old, to.pk):  # its homes leave one dashboard, join the other
            layout.announce_account(household_id, account.pk)
    return MoveResult(old, rows)
