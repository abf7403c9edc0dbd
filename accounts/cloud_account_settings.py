"""A linked eWeLink account's own settings, for the household's owners: its profile, its
cloud password, and closing the eWeLink account for good.

Passwords and codes pass straight through to the cloud: never stored, logged or returned.
A password change does not end the account's sessions (the cloud keeps our tokens valid), so
the link needs nothing afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied
from django.utils import timezone

import ewelink
from accounts import linking
from accounts.cloud import open_client
from accounts.cloud_signup import Purpose, explain_code_error, phone_of
from accounts.linking import LinkError
from accounts.models import LinkedAccount, Membership, Role
from accounts.services import require_role

NICKNAME_MAX = 32  # what the eWeLink app allows for a nickname


@dataclass(frozen=True)
class Profile:
    """What the cloud's profile holds, without anything secret."""

    nickname: str
    email: str
    phone_number: str
    country_code: str
    region: str
    accept_email_ad: bool
    account_consult: bool


def _check(actor: Membership, account: LinkedAccount) -> None:
    require_role(actor, Role.OWNER)
    if account.household_id != actor.household_id:
        raise PermissionDenied("That account belongs to another household.")


def _explain(error: ewelink.EWeLinkError) -> str:
    if getattr(error, "code", None) == 10001:
        return "The current password is not right for this eWeLink account. Nothing changed."
    return explain_code_error(error)


def get_profile(actor: Membership, account: LinkedAccount) -> Profile:
    _check(actor, account)
    return async_to_sync(_get_profile)(account)


async def _get_profile(account: LinkedAccount) -> Profile:
    async with open_client(account) as client:
        try:
            user = await client.get_profile()
        except ewelink.EWeLinkError as exc:
            raise LinkError(_explain(exc)) from None
    raw: dict[str, Any] = user.raw
    return Profile(
        nickname=user.nickname or "",
        email=user.email or "",
        phone_number=user.phone_number or "",
        country_code=user.country_code or "",
        region=account.region,
        accept_email_ad=bool(raw.get("acceptEmailAd")),
        account_consult=bool(raw.get("accountConsult")),
    )


def update_profile(
    actor: Membership,
    account: LinkedAccount,
    *,
    nickname: str,
    accept_email_ad: bool,
    account_consult: bool,
) -> None:
    """Set the nickname and the newsletter flag; `account_consult` can only be turned on
    (the cloud refuses false), so false leaves it as it is."""
    _check(actor, account)
    async_to_sync(_update_profile)(account, nickname, accept_email_ad, account_consult or None)


async def _update_profile(
    account: LinkedAccount, nickname: str, accept_email_ad: bool, account_consult: bool | None
) -> None:
    async with open_client(account) as client:
        try:
            await client.update_profile(
                nickname=nickname, accept_email_ad=accept_email_ad, account_consult=account_consult
            )
        except ewelink.EWeLinkError as exc:
            raise LinkError(_explain(exc)) from None


def change_password(actor: Membership, account: LinkedAccount, *, old: str, new: str) -> None:
    """Change the cloud password. The stored tokens stay valid (the cloud does not revoke
    them on a password change), so the link keeps working with nothing to save."""
    _check(actor, account)
    async_to_sync(_change_password)(account, old, new)


async def _change_password(account: LinkedAccount, old: str, new: str) -> None:
    async with open_client(account) as client:
        try:
            await client.change_password(old, new)
        except ewelink.EWeLinkError as exc:
            raise LinkError(_explain(exc)) from None


def _identity(account: LinkedAccount) -> dict[str, str | None]:
    if "@" in account.identifier:
        return {"email": account.identifier, "phone_number": None}
    return {"email": None, "phone_number": phone_of(account.identifier, account.country_code)}


def send_close_code(actor: Membership, account: LinkedAccount) -> None:
    """Ask the cloud to send the code that closing the account needs."""
    _check(actor, account)
    async_to_sync(_send_close_code)(account)


async def _send_close_code(account: LinkedAccount) -> None:
    async with open_client(region=account.region) as client:
        try:
            await client.send_verification_code(int(Purpose.CLOSE), **_identity(account))
        except ewelink.EWeLinkError as exc:
            raise LinkError(_explain(exc)) from None


def close_account(actor: Membership, account: LinkedAccount, *, code: str) -> None:
    """Close the eWeLink account at the cloud; once it accepted, its data here goes for good
    the way an unlinked account's does when its grace period ends (unlink, then purge)."""
    _check(actor, account)
    async_to_sync(_close)(account, code)
    linking.unlink(actor, account)  # leaves open pages now; the sign-out fails quietly
    rows = LinkedAccount.objects.with_scopes_disabled().filter(pk=account.pk)
    rows.update(purge_after=timezone.now())  # nothing to restore: the cloud account is gone
    linking.purge_unlinked(account_id=account.pk)  # this one only, not all that are due


async def _close(account: LinkedAccount, code: str) -> None:
    async with open_client(account) as client:
        try:
            await client.close_account(code.strip())
        except ewelink.EWeLinkError as exc:
            raise LinkError(_explain(exc)) from None
