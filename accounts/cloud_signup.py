"""Linking with a code the cloud sends: sign in by SMS code, create a new eWeLink account,
reset a forgotten password.

Codes and passwords pass straight through to the cloud: never stored, logged or returned.
The region comes from the country code, as for password linking (the client follows a
10004 redirect to the account's region once).
"""

from __future__ import annotations

import contextlib
import enum

from asgiref.sync import async_to_sync

import ewelink
from accounts.cloud import open_client
from accounts.linking import CloudLogin, LinkError, explain, save_link
from accounts.models import LinkedAccount, LinkMethod, Membership, Role
from accounts.services import require_role

SMS_COUNTRY = "+86"  # the cloud allows code sign-in for mainland China numbers only
SMS_ONLY_CHINA = (
    "Signing in with a text message code works only for mainland China numbers (+86). "
    "Use your eWeLink password or “Link with eWeLink” instead."
)


class Purpose(enum.IntEnum):
    """What a code is for: the cloud's `type` of verification code."""

    REGISTER = 0
    RESET = 1
    CLOSE = 3  # closing the account for good
    SMS = 4


class AccountExists(LinkError):
    """10009: the account to create is already there (the page offers sign-in or reset)."""


def explain_code_error(error: Exception) -> str:
    """The code flows' own errors in words, then the generic cloud ones."""
    code = getattr(error, "code", None)
    if code == 10002:
        return "That code is not right (or was already used). Check it, or ask for a new one."
    if code == 10009:
        return "There is already an eWeLink account with that email or phone number."
    if code == 10010:
        return (
            "Codes were asked for too often for this address. Wait a minute (or longer after "
            "many tries) before asking for another."
        )
    return explain(error)


def _raise(error: ewelink.EWeLinkError) -> LinkError:
    if getattr(error, "code", None) == 10009:
        return AccountExists(explain_code_error(error))
    return LinkError(explain_code_error(error))


def phone_of(identifier: str, country_code: str) -> str:
    """The full number the cloud keys accounts by (as password linking builds it)."""
    return identifier if identifier.startswith("+") else f"{country_code}{identifier}"


def _identity(identifier: str, country_code: str) -> dict[str, str | None]:
    if "@" in identifier:
        return {"email": identifier, "phone_number": None}
    return {"email": None, "phone_number": phone_of(identifier, country_code)}


def region_of(country_code: str) -> str:
    return ewelink.region_for_country(country_code)


def send_code(actor: Membership, purpose: Purpose, *, identifier: str, country_code: str) -> None:
    """Ask the cloud to send a code of this purpose to the email or phone."""
    require_role(actor, Role.ADMIN)
    if purpose == Purpose.SMS and not _sms_allowed(identifier, country_code):
        raise LinkError(SMS_ONLY_CHINA)
    async_to_sync(_send)(purpose, identifier, country_code)


async def _send(purpose: Purpose, identifier: str, country_code: str) -> None:
    async with open_client(region=region_of(country_code)) as client:
        try:
            await client.send_verification_code(int(purpose), **_identity(identifier, country_code))
        except ewelink.EWeLinkError as exc:
            raise _raise(exc) from None


def _sms_allowed(identifier: str, country_code: str) -> bool:
    return "@" not in identifier and phone_of(identifier, country_code).startswith(SMS_COUNTRY)


def link_with_sms_code(
    actor: Membership, *, identifier: str, country_code: str, code: str, label: str
) -> LinkedAccount:
    """Sign in with the texted code and link the account (as password linking does)."""
    require_role(actor, Role.ADMIN)
    if not _sms_allowed(identifier, country_code):
        raise LinkError(SMS_ONLY_CHINA)
    login = async_to_sync(_sms_login)(phone_of(identifier, country_code), code, country_code)
    return save_link(actor, login, identifier=identifier, country_code=country_code, label=label)


async def _sms_login(phone: str, code: str, country_code: str) -> CloudLogin:
    async with open_client(region=region_of(country_code)) as client:
        try:
            result = await client.sms_login(
                phone_number=phone, verification_code=code, country_code=country_code
            )
        except ewelink.EWeLinkError as exc:
            raise _raise(exc) from None
    return CloudLogin(result.tokens, result.user, LinkMethod.SMS_CODE)


def register_and_link(
    actor: Membership, *, identifier: str, country_code: str, code: str, password: str, label: str
) -> LinkedAccount:
    """Create the eWeLink account (its session comes with it) and link it to the household."""
    require_role(actor, Role.ADMIN)
    login = async_to_sync(_register)(identifier, country_code, code, password)
    return save_link(actor, login, identifier=identifier, country_code=country_code, label=label)


async def _register(identifier: str, country_code: str, code: str, password: str) -> CloudLogin:
    async with open_client(region=region_of(country_code)) as client:
        try:
            result = await client.register(
                country_code=country_code,
                verification_code=code,
                password=password,
                **_identity(identifier, country_code),
            )
        except ewelink.EWeLinkError as exc:
            raise _raise(exc) from None
    return CloudLogin(result.tokens, result.user, LinkMethod.REGISTERED)


def reset_password(
    actor: Membership, *, identifier: str, country_code: str, code: str, password: str
) -> None:
    """Set a new password with the code. The cloud signs in as it resets; that session is
    ended at once: the account is linked afterwards with the new password, as usual."""
    require_role(actor, Role.ADMIN)
    async_to_sync(_reset)(identifier, country_code, code, password)


async def _reset(identifier: str, country_code: str, code: str, password: str) -> None:
    async with open_client(region=region_of(country_code)) as client:
        try:
            await client.reset_password(
                verification_code=code, password=password, **_identity(identifier, country_code)
            )
        except ewelink.EWeLinkError as exc:
            raise _raise(exc) from None
        with contextlib.suppress(ewelink.EWeLinkError):  # a session left open just expires
            await client.logout()
