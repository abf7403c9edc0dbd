"""A meter in a household, for the readings tests."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from devices.models import Thing
from tests.factories import LinkedAccountFactory


def meter(uiid: int = 32, params: dict[str, Any] | None = None, **extra: Any) -> Thing:
    """A POW R2 (or `uiid`) meter of a new household's linked account."""
    account = extra.pop("account", None) or LinkedAccountFactory()
    with scopes_disabled():
        return Thing.objects.create(
            household=account.household,
            account=account,
            cloud_id=extra.pop("cloud_id", f"meter{Thing.objects.count()}"),
            item_type=1,
            name=extra.pop("name", "Fridge plug"),
            uiid=uiid,
            online=extra.pop("online", True),
            params=params if params is not None else {"switch": "on", "power": "12.50"},
            **extra,
        )
