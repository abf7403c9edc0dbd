"""Sharing an own device from its page (thin: devices.sharing works).

The share a permit change or an unshare names travels in the POST data (`share`), and must be
a share of this very thing (of this household): anything else is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from accounts.access import Access
from dashboard.thing_views import Question, thing_action
from devices import sharing
from devices.models import Share, Thing


def _share_row(request: HttpRequest, thing: Thing) -> Share:
    raw = request.POST.get("share", "")
    if not raw.isdigit():
        raise Http404("No such share.")
    return get_object_or_404(Share, pk=int(raw), thing=thing)


def _share(request: HttpRequest, access: Access[Thing]) -> str:
    row = sharing.share(
        access.membership,
        access.obj,
        email=request.POST.get("email", ""),
        phone=request.POST.get("phone", ""),
        country_code=request.POST.get("country_code", ""),
        permits=request.POST.getlist("permit"),
    )
    return f"Shared with {row.to_identifier or row.to_nickname}."


def _permit(request: HttpRequest, access: Access[Thing]) -> str:
    row = _share_row(request, access.obj)
    permit = sharing.clean_permit(request.POST.getlist("permit"))
    seen = request.POST.get("seen", "")
    row = sharing.change_permit(access.membership, access.obj, row, permit, seen)
    return f"{row.to_identifier or row.to_nickname} may now {sharing.permit_words(row.permit)}."


def _unshare(request: HttpRequest, access: Access[Thing]) -> str:
    row = _share_row(request, access.obj)
    sharing.stop_sharing(access.membership, access.obj, row)
    return f"No longer shared with {row.to_identifier or row.to_nickname}."


def _ask_unshare(request: HttpRequest, access: Access[Thing]) -> Question:
    row = _share_row(request, access.obj)  # another thing's share is a 404, whoever asks
    sharing.may_share(access.membership, access.obj, "Stopping a share")
    who = row.to_identifier or row.to_nickname
    return Question(
        f"Stop sharing “{access.obj.name}” with {who}?",
        [
            f"{who} no longer sees or controls it in their eWeLink app.",
            "To share it again, they must accept a new invitation.",
        ],
        "Stop sharing",
    )


share = thing_action(_share, "sharing")
permit = thing_action(_permit, "sharing")
unshare = thing_action(_unshare, "sharing", _ask_unshare)
