"""Keeping a linked account's tokens alive: refresh with `rt`, or mark it for relinking."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync, sync_to_async
from django_scopes import scopes_disabled

import ewelink
from accounts.cloud import open_client
from accounts.linking import explain, mark_needs_relink
from accounts.models import LinkedAccount, LinkStatus

log = logging.getLogger(__name__)


def refresh_account_tokens(
    account_id: int, *, only_if_expiring_within: float | None = None
) -> bool:
    """Refresh now (or only when `at` expires within that many seconds); True if refreshed.

    A refresh token the cloud rejects turns the account to "needs relink" instead of
    retrying forever; other failures propagate so the caller (a task) can retry later.
    """
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    if account.status != LinkStatus.ACTIVE:
        return False
    return async_to_sync(_refresh)(account, only_if_expiring_within)


async def _refresh(account: LinkedAccount, within: float | None) -> bool:
    async with open_client(account) as client:
        try:
            if within is not None:
                return await client.refresh_if_expiring(within)
            await client.refresh_tokens()
            return True
        except ewelink.AuthError as exc:
            log.warning("refresh token of account %s rejected (%s)", account.pk, exc.code)
            await _mark(account.pk, explain(exc))
            return False


async def _mark(account_id: int, reason: str) -> None:
    await sync_to_async(mark_needs_relink)(account_id, reason)
