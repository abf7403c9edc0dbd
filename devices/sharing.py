"""Sharing an own device with other eWeLink users: share, change rights, stop sharing.

Each function checks the role, validates before any cloud call, calls the cloud and, only
once it accepted, rewrites the device's local `Share` rows from the cloud's answer (the
device's `shareTo` list, which carries each person's apikey: the key of every later permit
change or unshare), then announces it (devices.thing_actions.perform).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

import ewelink
from accounts.models import Membership, Role
from devices.models import Share, Thing, ThingKind
from devices.structure import StructureChange
from devices.thing_actions import ActionFailed, perform
from devices.thing_settings import CHANGED_MEANWHILE, require, require_own

# The permit bits of the API document, and what each lets the other person do.
PERMITS = (
    (1, "create timers"),
    (2, "edit timers"),
    (4, "delete timers"),
    (8, "turn timers on and off"),
)
COUNTRY_CODE = re.compile(r"\+\d{1,4}")
PHONE_DIGITS = re.compile(r"\d{4,15}")
PHONE_SEPARATORS = re.compile(r"[\s\-().]")

NO_SUCH_USER = (
    "There is no eWeLink account with that email or phone number. "
    "(Sharing works only between accounts of the same region.)"
)
# What the cloud's refusals of a share mean, by error code (cloudsim: sharing.py, base.py).
SHARE_ERRORS = {
    30008: NO_SUCH_USER,  # unknown, another region, or the owner's own account
    406: "Only the owner's eWeLink account can share this device, and it is not ours.",
    405: "The eWeLink cloud no longer knows this device or this share; resync the account.",
    400: "The eWeLink cloud refused these sharing details; check the email or phone number.",
}
LIMIT_REACHED = "This device is shared with as many people as eWeLink allows; stop one first."


@dataclass(frozen=True)
class Recipient:
    """Whom to share with: an email, or a phone number that starts with its country code."""

    email: str | None = None
    phone: str | None = None
    country_code: str | None = None

    @property
    def label(self) -> str:
        return self.email or self.phone or ""


def clean_recipient(email: str, phone: str, country_code: str) -> Recipient:
    """A real email, or `+<digits>` and a phone number of digits; anything else is refused."""
    email, phone, country_code = email.strip(), phone.strip(), country_code.strip()
    if email and phone:
        raise ActionFailed("Give an email or a phone number, not both.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ActionFailed(f"“{email}” is not an email address.") from None
        return Recipient(email=email.lower())
    if not phone:
        raise ActionFailed("Give the email or the phone number of their eWeLink account.")
    if not COUNTRY_CODE.fullmatch(country_code):
        raise ActionFailed("A country code is a + and one to four digits, like +1 or +49.")
    digits = PHONE_SEPARATORS.sub("", phone)
    if digits.startswith("+"):
        if not digits.startswith(country_code):
            raise ActionFailed("That phone number starts with another country code.")
        digits = digits.removeprefix(country_code)
    if not PHONE_DIGITS.fullmatch(digits):
        raise ActionFailed("A phone number is digits only (4 to 15 of them).")
    return Recipient(phone=f"{country_code}{digits}", country_code=country_code)


def clean_permit(values: Iterable[str]) -> int:
    """The sum of the ticked permit boxes (each must be one of the four bits)."""
    bits = {bit for bit, _words in PERMITS}
    permit = 0
    for raw in values:
        if not raw.isdigit() or int(raw) not in bits:
            raise ActionFailed("Choose the rights from the boxes shown.")
        permit |= int(raw)
    return permit


def permit_words(permit: int) -> str:
    """What a share lets the other person do, in words."""
    allowed = [words for bit, words in PERMITS if permit & bit]
    if not allowed:
        return "use it; no timer changes"
    if len(allowed) == len(PERMITS):
        return "use it and do everything with its timers"
    head = ", ".join(allowed[:-1])
    return "use it and " + (f"{head} and {allowed[-1]}" if head else allowed[0])


def share(
    actor: Membership,
    thing: Thing,
    *,
    email: str,
    phone: str,
    country_code: str,
    permits: list[str],
) -> Share:
    """Share an own device with the eWeLink user named by email or phone; their local row."""
    may_share(actor, thing, "Sharing")
    recipient = clean_recipient(email, phone, country_code)
    permit = clean_permit(permits)
    if recipient.label.lower() == thing.account.identifier.strip().lower():
        raise ActionFailed("That is the account the device belongs to; share with someone else.")

    async def call(client: ewelink.EWeLinkClient) -> list[ewelink.Thing]:
        return await client.share_devices(
            [thing.cloud_id],
            permit=permit,
            email=recipient.email,
            phone_number=recipient.phone,
            country_code=recipient.country_code,
        )

    detail = {"to": recipient.label, "permit": permit}
    perform(actor, thing, "share", call, _apply(thing), detail=detail, explain=_share_error)
    row = Share.objects.filter(thing=thing, to_identifier__iexact=recipient.label).first()
    if row is None:  # the cloud named them differently (a nickname only): the newest share
        row = Share.objects.filter(thing=thing).order_by("-shared_at", "-pk").first()
    if row is None:
        raise ActionFailed("The eWeLink cloud accepted the share but did not list it.")
    return row


def change_permit(actor: Membership, thing: Thing, row: Share, permit: int, seen: str) -> Share:
    """Change what the person `row` may do with the device's timers."""
    may_share(actor, thing, "Changing what a person may do")
    if seen != str(row.permit):
        raise ActionFailed(CHANGED_MEANWHILE)
    if permit == row.permit:
        return row

    async def call(client: ewelink.EWeLinkClient) -> list[ewelink.Thing]:
        return await client.set_share_permit(thing.cloud_id, row.to_apikey, permit)

    detail = {"to": _who(row), "from": row.permit, "permit": permit}
    perform(actor, thing, "share_permit", call, _apply(thing), detail=detail, explain=_share_error)
    return Share.objects.filter(pk=row.pk).first() or row


def stop_sharing(actor: Membership, thing: Thing, row: Share) -> None:
    """Stop sharing the device with the person `row`."""
    may_share(actor, thing, "Stopping a share")

    async def call(client: ewelink.EWeLinkClient) -> list[ewelink.Thing]:
        return await client.cancel_share(thing.cloud_id, row.to_apikey)

    detail = {"to": _who(row)}
    perform(actor, thing, "unshare", call, _apply(thing), detail=detail, explain=_share_error)


def may_share(actor: Membership, thing: Thing, what: str) -> None:
    require(actor, Role.ADMIN, what)
    if thing.kind == ThingKind.GROUP:
        raise ActionFailed("eWeLink shares devices, not groups.")
    require_own(thing, what)


def _who(row: Share) -> str:
    return row.to_identifier or row.to_nickname or row.to_apikey


def _apply(thing: Thing) -> Any:
    """Make the device's local shares what the cloud now lists for it."""

    def apply(updated: list[ewelink.Thing]) -> StructureChange:
        item = next((t for t in updated if t.device and t.id == thing.cloud_id), None)
        if item is not None and item.device is not None:
            replace_shares(thing, item.device.share_to)
        change = StructureChange()
        change.thing(thing)
        return change

    return apply


def replace_shares(thing: Thing, share_to: list[dict[str, Any]]) -> None:
    """The device's Share rows become exactly `share_to` (the cloud's list for it)."""
    listed = {str(entry.get("apikey") or ""): entry for entry in share_to}
    listed.pop("", None)
    Share.objects.filter(thing=thing).exclude(to_apikey__in=listed).delete()
    for apikey, entry in listed.items():
        Share.objects.update_or_create(
            thing=thing,
            to_apikey=apikey,
            defaults={"household_id": thing.household_id, **share_values(entry)},
        )


def share_values(entry: dict[str, Any]) -> dict[str, Any]:
    """A `shareTo` entry as Share fields."""
    permit = entry.get("permit")
    when = entry.get("shareTime")
    return {
        "to_identifier": str(entry.get("email") or entry.get("phoneNumber") or "")[:254],
        "to_nickname": str(entry.get("nickname") or "")[:100],
        "permit": permit if isinstance(permit, int) else 0,
        "comment": str(entry.get("comment") or "")[:200],
        "shared_at": datetime.fromtimestamp(when / 1000, tz=UTC)
        if isinstance(when, int | float) and when > 0
        else None,
    }


def _share_error(error: ewelink.EWeLinkError) -> str | None:
    """A sharing refusal in words; None leaves it to the generic explanation."""
    if "limit" in str(error.message).lower():
        return LIMIT_REACHED
    return SHARE_ERRORS.get(error.code) if error.code is not None else None
