"""Building `ewelink` clients from settings and a linked account's stored tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.call_counts import record_call
from accounts.models import LinkedAccount
from accounts.signals import account_event
from ewelink import EWeLinkClient, Tokens
from ewelink.regions import as_region
from ewelink.tokens import AT_LIFETIME_MS, RT_LIFETIME_MS

CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


def tokens_of(account: LinkedAccount) -> Tokens:
    """The account's decrypted tokens in the client's shape.

    A row stored without an expiry counts the documented lifetimes from its last refresh, so
    the token job still refreshes it ahead of time.
    """
    issued = _ms(account.tokens_refreshed_at)
    return Tokens(
        at=account.access_token,
        rt=account.refresh_token,
        region=as_region(account.region),
        apikey=account.apikey,
        at_expires_ms=_ms(account.access_expires_at) or _plus(issued, AT_LIFETIME_MS),
        rt_expires_ms=_ms(account.refresh_expires_at) or _plus(issued, RT_LIFETIME_MS),
    )


def token_fields(tokens: Tokens) -> dict[str, object]:
    """Model field values for a token pair (an expiry not given: the documented lifetime)."""
    fresh = tokens.with_pair(
        tokens.at, tokens.rt, at_expires_ms=tokens.at_expires_ms, rt_expires_ms=tokens.rt_expires_ms
    )
    return {
        "access_token": fresh.at,
        "refresh_token": fresh.rt,
        "access_expires_at": _dt(fresh.at_expires_ms),
        "refresh_expires_at": _dt(fresh.rt_expires_ms),
        "tokens_refreshed_at": timezone.now(),
        "region": fresh.region,
    }


def store_tokens(account_id: int, tokens: Tokens) -> None:
    """Persist tokens the client obtained (refresh); called from the client's callback."""
    with scopes_disabled():
        LinkedAccount.objects.filter(pk=account_id).update(**token_fields(tokens))
        households = list(
            LinkedAccount.objects.filter(pk=account_id).values_list("household_id", flat=True)
        )
    for household_id in households:  # the household's logbook keeps it
        account_event.send(
            sender=LinkedAccount, account_id=account_id, household_id=household_id,
            text="Sign-in renewed (tokens refreshed)",
        )  # fmt: skip


@asynccontextmanager
async def open_client(
    account: LinkedAccount | None = None, *, region: str = "eu"
) -> AsyncIterator[EWeLinkClient]:
    """A client on its own HTTP session; with an account, new tokens are saved as they come."""
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as session:
        yield make_client(session, account, region=region)


def make_client(
    session: aiohttp.ClientSession, account: LinkedAccount | None, *, region: str = "eu"
) -> EWeLinkClient:
    """A client on a shared HTTP session (the realtime worker holds one for all accounts)."""
    on_tokens = on_call = None
    if account is not None:
        account_id = account.pk

        async def on_tokens(tokens: Tokens) -> None:
            await sync_to_async(store_tokens)(account_id, tokens)

        async def on_call(path: str, refused: bool) -> None:
            await record_call(account_id, refused)  # the health board's calls of the day

    return EWeLinkClient(
        session,
        app_id=settings.EWELINK_APP_ID,
        app_secret=settings.EWELINK_APP_SECRET,
        region=as_region(account.region if account else region),
        tokens=tokens_of(account) if account else None,
        on_tokens=on_tokens,
        base_url_template=settings.EWELINK_BASE_URL or None,
        on_call=on_call,
    )


def _ms(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def _plus(ms: int | None, lifetime_ms: int) -> int | None:
    return ms + lifetime_ms if ms else None


def _dt(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms else None
