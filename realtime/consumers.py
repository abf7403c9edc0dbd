"""The browser's websocket: one per page, bound to the user's current household."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.middleware import SESSION_KEY
from accounts.services import memberships_of
from realtime.events import HelloEvent, household_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NO_HOUSEHOLD = 4403


class HouseholdConsumer(AsyncJsonWebsocketConsumer):
    """Joins only the group of the household chosen in the user's session."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        household_id = await self._household_id(user, self.scope.get("session"))
        if household_id is None:
            await self.close(code=CLOSE_NO_HOUSEHOLD)
            return
        self.group = household_group(household_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(HelloEvent(type="hello", household=household_id))

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def household_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])

    @database_sync_to_async
    def _household_id(self, user: Any, session: Any) -> int | None:
        ids = [m.household_id for m in memberships_of(user)]
        wanted = session.get(SESSION_KEY) if session is not None else None
        if wanted in ids:
            return int(wanted)
        return ids[0] if ids else None
