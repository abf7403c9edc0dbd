"""The groups page: every linked account's device groups, managed by admins and owners (thin:
devices.groups does the work). Each action is a POST that comes back to the page with a
message; a role that may not gets the 403 page, a cloud refusal a message in words. A refused
new group comes back with what was typed, so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import Access, household_object
from accounts.models import LinkedAccount, LinkStatus, Role
from accounts.views import confirm_page, confirmed, household_required
from dashboard.home_views import layout_action
from dashboard.live_page import live_context
from devices import groups
from devices.group_members import members_of
from devices.models import Thing, ThingKind
from devices.thing_actions import ActionFailed


@dataclass
class Draft:
    """A new group as it was typed, shown again when it was refused."""

    account_pk: int | None = None
    name: str = ""
    main: str = ""
    members: list[str] = field(default_factory=list)


@household_required
def groups_page(request: HttpRequest) -> HttpResponse:
    return _page(request, Draft())


def _page(request: HttpRequest, draft: Draft) -> HttpResponse:
    context = {
        **live_context(request),
        **groups.page_context(request.membership.role),  # type: ignore[attr-defined]
        "draft": draft,
    }
    return render(request, "groups/page.html", context)


def _live_accounts() -> Any:
    return LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED)


def _groups() -> Any:
    things = Thing.objects.select_related("account", "home", "room")
    return things.filter(kind=ThingKind.GROUP).exclude(account__status=LinkStatus.UNLINKED)


def _back(anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("dashboard:groups") + (f"#{anchor}" if anchor else ""))


@require_POST
@household_required
def add_group(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, _live_accounts(), pk)
    post = request.POST
    draft = Draft(pk, post.get("name", ""), post.get("main", ""), post.getlist("member"))
    try:
        group = groups.add_group(
            access.membership, access.obj, draft.name, draft.main, draft.members
        )
    except ActionFailed as exc:
        messages.error(request, exc.message)
        return _page(request, draft)
    messages.success(request, f"Created the group {group.name}.")
    return _back(f"group-{group.pk}")


def _rename(request: HttpRequest, access: Access[Thing]) -> tuple[str, str]:
    group = groups.rename_group(access.membership, access.obj, request.POST.get("name", ""))
    return f"Renamed the group to {group.name}.", f"group-{group.pk}"


def _members(request: HttpRequest, access: Access[Thing]) -> tuple[str, str]:
    group = groups.set_members(access.membership, access.obj, request.POST.getlist("member"))
    count = len(members_of(group))
    return f"{group.name} now has {count} device{'s' if count != 1 else ''}.", f"group-{group.pk}"


rename_group = layout_action(_groups, _rename, _back)
group_members = layout_action(_groups, _members, _back)


@household_required
def delete_group(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first, saying its devices stay; only a confirmed POST deletes."""
    access = household_object(request, _groups(), pk)
    group = access.require(Role.ADMIN)
    if confirmed(request):
        try:
            groups.delete_group(access.membership, group)
        except ActionFailed as exc:
            messages.error(request, exc.message)
            return _back(f"group-{group.pk}")
        messages.success(request, f"Deleted the group {group.name}.")
        return _back()
    return confirm_page(
        request,
        title=f"Delete the group {group.name}?",
        losses=[
            f"The group {group.name} goes, in the eWeLink cloud and on every dashboard.",
            "Its devices stay as they are, each with its own card.",
        ],
        action="Delete the group",
        cancel_url=reverse("dashboard:groups") + f"#group-{group.pk}",
    )
