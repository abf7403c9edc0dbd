"""Linking eWeLink accounts to a household (password or OAuth), relinking and unlinking.

The password is used for one login and never stored or logged. Tokens are stored encrypted.
An eWeLink account is linked once per deployment, whichever household asks.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_scopes import scopes_disabled

import ewelink
from accounts import layout
from accounts.cloud import open_client, token_fields
from accounts.models import (
    ConnectionState,
    LinkedAccount,
    LinkMethod,
    LinkStatus,
    Membership,
    Role,
)
from accounts.services import require_role
from accounts.signals import account_event

log = logging.getLogger(__name__)


class LinkError(Exception):
    """Linking failed; the message says why in words a person can act on."""


@dataclass(frozen=True)
class CloudLogin:
    """What a successful sign-in at the cloud gives us."""

    tokens: ewelink.Tokens
    user: ewelink.User
    method: str


ALREADY_LINKED = (
    "This eWeLink account is already linked on this server. Ask the person who linked it to "
    "share the devices with an eWeLink account of yours, and link that one."
)


def explain(error: Exception) -> str:
    """A specific, safe message for a cloud failure (never echoes tokens or passwords)."""
    code = getattr(error, "code", None)
    if isinstance(error, ewelink.AppNotAllowedError):
        return (
            "This server's eWeLink app may not sign in with a password. Use “Link with "
            "eWeLink” (authorization on eWeLink's own page) instead."
        )
    if code == 10001:
        return "The password is not right for that eWeLink account."
    if code == 10003:
        return "There is no eWeLink account with that email or phone number."
    if isinstance(error, ewelink.QuotaExceededError):
        return "This server's eWeLink app has used up its call quota. Try again later."
    if isinstance(error, ewelink.RateLimitedError):
        return "The eWeLink cloud asks us to slow down. Try again in a minute."
    if isinstance(error, ewelink.NotFoundError) and "code" in str(error.message).lower():
        return "The authorization took too long (the code is valid for 30 seconds). Try again."
    if isinstance(error, ewelink.NetworkError | ewelink.ServerError | ewelink.ProtocolError):
        return "The eWeLink cloud cannot be reached right now. Try again in a few minutes."
    if isinstance(error, ewelink.PermissionDeniedError):
        return "The eWeLink account may not do that (is the device still shared with it?)."
    if isinstance(error, ewelink.AuthError):
        return "The eWeLink cloud did not accept these credentials."
    return f"The eWeLink cloud refused the request (error {code})."


def link_with_password(
    actor: Membership, *, identifier: str, password: str, country_code: str, label: str
) -> LinkedAccount:
    """Sign in once with the password, then keep only the tokens."""
    require_role(actor, Role.ADMIN)
    login = async_to_sync(_password_login)(identifier.strip(), password, country_code.strip())
    return save_link(
        actor, login, identifier=identifier.strip(), country_code=country_code, label=label
    )


async def _password_login(identifier: str, password: str, country_code: str) -> CloudLogin:
    is_email = "@" in identifier
    phone = identifier if identifier.startswith("+") else f"{country_code}{identifier}"
    async with open_client(region=ewelink.region_for_country(country_code)) as client:
        try:
            result = await client.login(
                password=password,
                country_code=country_code,
                email=identifier if is_email else None,
                phone_number=None if is_email else phone,
            )
        except ewelink.EWeLinkError as exc:
            raise LinkError(explain(exc)) from None
    return CloudLogin(result.tokens, result.user, LinkMethod.PASSWORD)


def new_oauth_state() -> str:
    """The `state` a callback must bring back (kept in the session)."""
    return secrets.token_urlsafe(24)


def authorization_url(redirect_url: str, state: str) -> str:
    """The cloud's authorization page for this server's app."""
    return ewelink.build_authorization_url(
        app_id=settings.EWELINK_APP_ID,
        app_secret=settings.EWELINK_APP_SECRET,
        redirect_url=redirect_url,
        state=state,
        base_url_template=settings.EWELINK_BASE_URL or None,
    )


def link_with_oauth_code(
    actor: Membership, *, code: str, region: str, redirect_url: str, label: str
) -> LinkedAccount:
    """Trade the redirect's code (valid 30 s) for tokens and link the account they belong to."""
    require_role(actor, Role.ADMIN)
    if not ewelink.regions.is_region(region):
        raise LinkError("The authorization came back with an unknown region.")
    login = async_to_sync(_oauth_login)(code, region, redirect_url)
    identifier = login.user.email or login.user.phone_number or login.user.apikey
    return save_link(
        actor, login, identifier=identifier, country_code=login.user.country_code or "", label=label
    )


async def _oauth_login(code: str, region: str, redirect_url: str) -> CloudLogin:
    async with open_client(region=region) as client:
        try:
            tokens = await client.exchange_oauth_code(
                code, redirect_url=redirect_url, region=region
            )
            user = await client.get_profile()
        except ewelink.EWeLinkError as exc:
            raise LinkError(explain(exc)) from None
    return CloudLogin(tokens, user, LinkMethod.OAUTH)


def save_link(
    actor: Membership, login: CloudLogin, *, identifier: str, country_code: str, label: str
) -> LinkedAccount:
    """Store a new link, or renew the tokens of the same account (relink).

    Relinking an account this household unlinked within the grace period brings it back with
    its homes, rooms, things and history. If another household unlinked it, that household
    gave it up: its kept data is purged first, and the link is new here.
    If another household still has it linked, our sign-in has just replaced its session (one
    session per account and app), so its row gets the new tokens: the other household keeps
    working and learns nothing of this attempt.
    """
    apikey = login.tokens.apikey or login.user.apikey
    tokens = {
        **token_fields(login.tokens),
        "status": LinkStatus.ACTIVE,
        "last_error": "",
        "purge_after": None,
    }
    with transaction.atomic(), scopes_disabled():
        existing = LinkedAccount.objects.select_for_update().filter(apikey=apikey).first()
        if (
            existing is not None
            and existing.status == LinkStatus.UNLINKED
            and existing.household_id != actor.household_id
        ):  # that household gave the account up: its kept data goes, quietly
            log.info("purging account %s: linked by another household", existing.pk)
            existing.delete()
            existing = None
        if existing is None:
            return LinkedAccount.objects.create(
                household=actor.household,
                label=label.strip() or identifier,
                identifier=identifier,
                country_code=country_code,
                apikey=apikey,
                method=login.method,
                created_by=actor.user,
                **tokens,
            )
        restored = existing.status == LinkStatus.UNLINKED
        if existing.household_id == actor.household_id:
            tokens["method"] = login.method  # the way it was linked this time signs it out
        LinkedAccount.objects.filter(pk=existing.pk).update(**tokens)
        existing.refresh_from_db()
        if existing.household_id == actor.household_id:  # the household's logbook keeps it
            account_event.send(
                sender=LinkedAccount, account_id=existing.pk, household_id=existing.household_id,
                text=f"eWeLink account {existing.label} linked again",
            )  # fmt: skip
        if restored:  # its kept homes are back on the household's pages
            layout.announce_account(existing.household_id, existing.pk)
    # Raised after the commit, so the renewed tokens of the other household's row persist.
    if existing.household_id != actor.household_id:
        log.info("link refused: eWeLink account already linked (account %s)", existing.pk)
        raise LinkError(ALREADY_LINKED)
    return existing


@dataclass(frozen=True)
class UnlinkSummary:
    """What unlinking an account takes off the dashboard (and later deletes)."""

    homes: int
    rooms: int
    things: int
    history: int

    def describe(self) -> str:
        """E.g. "2 homes, 7 rooms, 18 things and their history"."""
        parts = [_count(self.homes, "home"), _count(self.rooms, "room")]
        things = _count(self.things, "thing")
        return f"{', '.join(parts)}, {things} and their history"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def unlink_summary(account: LinkedAccount) -> UnlinkSummary:
    """Counts for the confirmation page (reverse relations: accounts does not import devices)."""
    homes = account.homes.aggregate(n=Count("pk", distinct=True), rooms=Count("rooms"))
    things = account.things.aggregate(n=Count("pk", distinct=True), history=Count("history"))
    return UnlinkSummary(homes["n"], homes["rooms"], things["n"], things["history"])


def grace_period() -> timedelta:
    return timedelta(days=settings.UNLINK_GRACE_DAYS)


def unlink(actor: Membership, account: LinkedAccount) -> str | None:
    """Stop using an account: it leaves the dashboard, the realtime worker and the jobs now,
    the cloud session is ended, and its data is kept until the grace period ends.

    Returns a warning when the cloud could not be told; the link ends here either way.
    """
    require_role(actor, Role.ADMIN)
    if account.household_id != actor.household_id:
        raise PermissionDenied("That account belongs to another household.")
    # Marked first, so the worker's socket, closed by the sign-out below, is not taken for a
    # lost session ("needs relink"), and no job picks the account up again.
    rows = LinkedAccount.objects.with_scopes_disabled().filter(pk=account.pk)
    rows.update(
        status=LinkStatus.UNLINKED,
        purge_after=timezone.now() + grace_period(),
        connection_state=ConnectionState.OFFLINE,
        last_error="",
    )
    layout.announce_account(account.household_id, account.pk)  # its homes leave open pages
    warning = async_to_sync(_cloud_sign_out)(account)
    rows.update(access_token="", refresh_token="", access_expires_at=None, refresh_expires_at=None)
    account.refresh_from_db()
    return warning


def purge_unlinked(now: datetime | None = None, *, account_id: int | None = None) -> int:
    """Delete unlinked accounts whose grace period is over (or only `account_id`), with all
    their data."""
    now = now or timezone.now()
    purged = 0
    with scopes_disabled():
        due = LinkedAccount.objects.filter(status=LinkStatus.UNLINKED, purge_after__lte=now)
        if account_id is not None:
            due = due.filter(pk=account_id)
        for account_id in due.values_list("pk", flat=True):
            with transaction.atomic():
                # Re-checked under the row lock: a relink in the meantime keeps it.
                account = (
                    LinkedAccount.objects.select_for_update()
                    .filter(pk=account_id, status=LinkStatus.UNLINKED, purge_after__lte=now)
                    .first()
                )
                if account is not None:
                    account.delete()
                    purged += 1
    if purged:
        log.info("purged %s unlinked account(s) after their grace period", purged)
    return purged


async def _cloud_sign_out(account: LinkedAccount) -> str | None:
    async with open_client(account) as client:
        try:
            if account.method == LinkMethod.OAUTH:
                await client.unlink()
            else:
                await client.logout()
        except ewelink.EWeLinkError as exc:
            log.warning("cloud sign-out of account %s failed: %s", account.pk, type(exc).__name__)
            return "The eWeLink cloud could not be told; the link was ended here anyway."
    return None


def mark_needs_relink(account_id: int, reason: str, *, tokens_from: datetime | None = None) -> bool:
    """Stop using an account whose credentials the cloud rejects, until someone relinks it.

    An unlinked account stays unlinked (its socket closing after the sign-out is expected).
    With `tokens_from` (when the rejected tokens were stored), an account whose tokens were
    replaced since (relinked meanwhile) is left alone: its new tokens were not the ones
    rejected. Returns whether it was marked.
    """
    with scopes_disabled():
        rows = LinkedAccount.objects.filter(pk=account_id).exclude(status=LinkStatus.UNLINKED)
        if tokens_from is not None:
            rows = rows.filter(tokens_refreshed_at=tokens_from)
        return bool(rows.update(status=LinkStatus.NEEDS_RELINK, last_error=reason))
