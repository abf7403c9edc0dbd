"""Adding a device to a linked account, and the account's overview (thin: devices.adding and
devices.account_overview do the work). Both pages are reached from the account on the homes
page; another household's account is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.access import household_object
from accounts.models import LinkedAccount, LinkStatus, Membership, Role
from accounts.views import household_required
from devices import adding
from devices.account_overview import account_overview
from devices.models import Thing
from devices.thing_actions import ActionFailed

# The form fields a failed attempt shows again; never the API key (it is typed again).
KEPT_FIELDS = ("kind", "deviceid", "name", "place", "code")


def _live_accounts() -> Any:
    return LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED)


@sensitive_post_parameters("api_key")  # an error report never carries the key
@require_http_methods(["GET", "POST"])
@household_required
def add_device(request: HttpRequest, pk: int) -> HttpResponse:
    """The add page (admins and owners); a POST adds a Wi-Fi or a GSM device."""
    access = household_object(request, _live_accounts(), pk)
    account = access.require(Role.ADMIN)
    kept: dict[str, str] = {}
    if request.method == "POST":
        try:
            thing = _add(access.membership, account, request.POST)
        except ActionFailed as exc:
            messages.error(request, exc.message)
            kept = {name: request.POST.get(name, "") for name in KEPT_FIELDS}
        else:
            messages.success(request, f"Added {thing.name} to {_where(thing)}.")
            return HttpResponseRedirect(reverse("dashboard:device_add", args=[account.pk]))
    context = {
        "account": account,
        "places": adding.place_choices(adding.homes_of(account)),
        "kept": kept,
    }
    return render(request, "things/add.html", context)


def _add(actor: Membership, account: LinkedAccount, post: Any) -> Thing:
    place = adding.parse_place(account, post.get("place", ""))
    name = post.get("name", "")
    if post.get("kind") == adding.GSM:
        return adding.add_gsm_device(
            actor, account, code=post.get("code", ""), name=name, place=place
        )
    return adding.add_wifi_device(
        actor,
        account,
        deviceid=post.get("deviceid", ""),
        api_key=post.get("api_key", ""),
        name=name,
        place=place,
    )


def _where(thing: Thing) -> str:
    home = thing.home.name if thing.home else "the account's current home"
    return f"{home} — {thing.room.name}" if thing.room else f"{home}, in no room"


@household_required
def overview(request: HttpRequest, pk: int) -> HttpResponse:
    """The account as the cloud's home page call sees it."""
    access = household_object(request, _live_accounts(), pk)
    # Members may view, guests not: each view is a cloud call on the account's one call
    # budget (≤ 300 calls per 5 minutes, shared by the whole deployment), and it tells more
    # of the account than its cards do (its nickname, what others share with it). Members
    # already act on the account's devices; guests only look at the cards.
    account = access.require(Role.MEMBER)
    summary, error = None, ""
    try:
        summary = account_overview(account)
    except ActionFailed as exc:
        error = exc.message
    context = {
        "account": account,
        "overview": summary,
        "error": error,
        "can_add": access.may_manage,
    }
    return render(request, "homes/account_overview.html", context)
