"""Keeping a linked account's tokens alive: refresh with `rt`, or mark it for relinking.

Where the expiry times come from (stored in `access_expires_at` and `refresh_expires_at`):
- OAuth code exchange (`POST /v2/user/oauth/token`): the reply carries both, `atExpiredTime` and
  `rtExpiredTime` in ms (protocol notes §1.6, §1.7); they are taken as given.
- Password, SMS-code, sign-up and reset logins and `POST /v2/user/refresh`: the document's
  replies carry only `at` and `rt` (ewelink-api-v2.md "Refresh Access Token", "Login"), so the
  expiry is estimated from the documented lifetimes, `at` 30 days and `rt` 60 days, counted
  from the reply (`ewelink.tokens`). Should a reply ever carry the two fields, they win.
- An account stored without an expiry (an old row) counts from `tokens_refreshed_at`
  (`accounts.cloud.tokens_of`), so it is still refreshed ahead of time.

Failures: a refresh the cloud rejects (an `AuthError`: unknown or expired `rt`) is final and
means "needs relink"; anything transient (timeout, 5xx, rate limited) leaves the account active
and propagates, so the job retries with backoff (`jobs.base.RETRYABLE`).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
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
    retrying forever; other failures propagate so the caller can retry later.
    """
    account = _account(account_id)
    if account.status != LinkStatus.ACTIVE:
        return False
    try:
        return async_to_sync(_refresh)(account, only_if_expiring_within)
    except ewelink.AuthError as exc:
        log.warning("refresh token of account %s rejected (%s)", account.pk, exc.code)
        mark_needs_relink(account.pk, explain(exc))
        return False


def refresh_if_expiring(account_id: int) -> dict[str, Any]:
    """The token job: refresh when `at` expires within TOKEN_REFRESH_AHEAD (well before it does).

    A rejected refresh token raises `ewelink.AuthError` (the job marks the account and tells
    the household); a transient failure raises its own error for the job to retry.
    """
    account = _account(account_id)
    ahead = settings.TOKEN_REFRESH_AHEAD.total_seconds()
    refreshed = async_to_sync(_refresh)(account, ahead)
    account.refresh_from_db()
    return {
        "refreshed": refreshed,
        "access_expires_at": _iso(account.access_expires_at),
        "refresh_expires_at": _iso(account.refresh_expires_at),
    }


def _account(account_id: int) -> LinkedAccount:
    with scopes_disabled():
        return LinkedAccount.objects.get(pk=account_id)


async def _refresh(account: LinkedAccount, within: float | None) -> bool:
    async with open_client(account) as client:
        if within is not None:
            return await client.refresh_if_expiring(within)
        await client.refresh_tokens()
        return True


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


__all__ = ["refresh_account_tokens", "refresh_if_expiring"]
