"""`/ws/me/`: a signed-in person's own socket on every page; it carries their unread notification count."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from coaching.lib import realtime
from coaching.lib.realtime import encode, user_group
from coaching.notifications.services import unread_count


class PersonConsumer(realtime.HubSocket):
    """Sends `{"type": "notifications", "unread": n}` at connect and whenever the count changes."""

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated or not user.is_active:
            await self.accept()
            await self.close(code=4401)
            return
        await self.join(user_group(user.pk))  # before reading the count: a change after the read reaches us
        await self.accept()
        count = await database_sync_to_async(unread_count)(user=user)
        await self.send(text_data=encode({"type": "notifications", "unread": count}))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The client only listens; anything it sends is ignored."""

    async def deliver(self, event: dict[str, Any]) -> None:
        """Relay the person's notification frames; the rooms' events on the same group are not for here."""
        if event.get("type") == "person.frame":
            await self.send_event_text(event)
