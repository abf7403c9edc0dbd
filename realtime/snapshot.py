"""The first frame of a page socket: every shown thing's state and every account's link."""

from __future__ import annotations

from django.utils import timezone
from django_scopes import scope

from accounts.models import LinkedAccount
from devices.presentation import plugin_for, shown_things
from realtime.events import AccountView, SnapshotEvent, ThingView


def build_snapshot(household_id: int) -> SnapshotEvent:
    with scope(household=household_id):
        things: dict[str, ThingView] = {}
        for thing in shown_things():
            plugin = plugin_for(thing)
            state = plugin.state(thing.params, thing.tags)
            things[str(thing.pk)] = ThingView(
                state=state,
                online=thing.online,
                last_update=thing.last_update_at.isoformat() if thing.last_update_at else None,
                account=thing.account_id,
                summary=plugin.summary(state),
            )
        accounts = {
            str(a.pk): AccountView(connection=a.connection_state, status=a.status)  # type: ignore[typeddict-item]
            for a in LinkedAccount.objects.only("pk", "connection_state", "status")
        }
    return SnapshotEvent(
        type="snapshot",
        household=household_id,
        things=things,
        accounts=accounts,
        server_time=timezone.now().isoformat(),
    )
