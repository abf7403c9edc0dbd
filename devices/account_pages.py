"""Pages drawn one linked account at a time (homes, groups), live.

After any structure change each open page of such a view gets every account's part and its
list of recent changes again as fragments, drawn for the role of the person looking (only
admins and owners get forms). A part is put in place by its `data-fragment` in `data-order`;
one the person is typing in, or has unsaved input in, waits until they are done. An account
unlinked meanwhile has its part removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from django.template.loader import render_to_string

from accounts.models import LinkedAccount, LinkStatus

if TYPE_CHECKING:
    from devices.fragments import Fragment


class AccountPart(Protocol):
    account: LinkedAccount


def part_key(prefix: str, account_pk: int) -> str:
    return f"{prefix}-account-{account_pk}"


def part_order(position: int) -> str:
    return f"1{position:04d}"  # after the empty state ("0"), before the changes ("9")


def account_fragments(
    prefix: str, parts: Sequence[AccountPart], context: dict[str, Any]
) -> list[Fragment]:
    """`prefix`-account-<pk> parts (templates `prefix`/_account.html with `entry`), the
    empty state and the recent changes (`prefix`/_empty.html, `prefix`/_activity.html)."""
    from devices.fragments import Fragment

    shown = {part.account.pk for part in parts}
    gone = LinkedAccount.objects.filter(status=LinkStatus.UNLINKED).exclude(pk__in=shown)
    fragments = [
        Fragment(part_key(prefix, pk), "sections", "", None)
        for pk in gone.values_list("pk", flat=True)
    ]
    for position, part in enumerate(parts):
        html = render_to_string(f"{prefix}/_account.html", {**context, "entry": part})
        fragments.append(Fragment(part_key(prefix, part.account.pk), "sections",
                                  part_order(position), html))  # fmt: skip
    empty = None if shown else render_to_string(f"{prefix}/_empty.html", context)
    fragments.append(Fragment(f"{prefix}-empty", "sections", "0", empty))
    activity = render_to_string(f"{prefix}/_activity.html", context)
    fragments.append(Fragment(f"{prefix}-activity", "sections", "9", activity))
    return fragments
