"""The one rule that picks a user's current household, for pages and the page websocket."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from accounts.models import Membership
from accounts.services import memberships_of

SESSION_KEY = "household_id"


def choose_membership(memberships: Sequence[Membership], wanted: Any) -> Membership | None:
    """The membership chosen in the session (`wanted`), else the user's first household."""
    chosen = next((m for m in memberships if m.household_id == wanted), None)
    if chosen is None and memberships:
        chosen = memberships[0]
    return chosen


def current_membership_for(
    user: AbstractBaseUser | AnonymousUser, session: Mapping[str, Any] | None
) -> Membership | None:
    """The user's current membership by the session's choice; None when signed out or homeless."""
    if not user.is_authenticated:
        return None
    wanted = session.get(SESSION_KEY) if session is not None else None
    return choose_membership(memberships_of(user), wanted)  # type: ignore[arg-type]
