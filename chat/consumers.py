"""Async edges of the chat rooms: frames in, one service call each, group events out. No models here."""

from __future__ import annotations

import logging
import time
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from chat import events, handlers, presence, protocol
from chat.errors import ChatError, NoAccess

log = logging.getLogger(__name__)


class RoomConsumer(AsyncWebsocketConsumer):
    """A socket in one room: access checked at connect and again whenever the person's access changes."""

    kind = "circle"
    # Frame types a subclass adds (type -> parser returning a protocol.Command), e.g. the session frames.
    extra_parsers: dict[str, Any] = {}
    # Group events that only relay encoded text to the client: they touch no database.
    relay_events: frozenset[str] = frozenset({"room.frame"})

    async def connect(self) -> None:
        events.attach_loop()
        user = self.scope["user"]
        self.room_id = 0
        self.session_id: int | None = None  # set by the live-session room: its messages are tagged
        self.revoked = False
        self.last_typing = 0.0
        object_id = int(self.scope["url_route"]["kwargs"]["object_id"])
        if user.is_authenticated:
            # Listen for revocations before checking access, so a removal racing this connect still lands.
            await self.channel_layer.group_add(events.user_group(user.pk), self.channel_name)
        try:
            room = await database_sync_to_async(handlers.open_room)(
                user=user, kind=self.kind, object_id=object_id
            )
        except NoAccess as refusal:
            await self.accept()
            await self.close(code=refusal.close_code)
            return
        self.user = user
        self.language = user.ui_language
        self.room_key = room.key
        self.room_id = room.pk
        # Join the room group before reading last_seq: whatever commits after the read reaches us.
        await self.channel_layer.group_add(events.room_group(room.pk), self.channel_name)
        last_seq = await database_sync_to_async(handlers.last_seq)(room_id=room.pk)
        await self.accept()
        online, changed = await presence.join(self.room_key, user_id=user.pk, channel=self.channel_name)
        await self.send_frame(
            {"type": "hello", "room": self.room_key, "user": user.pk, "last_seq": last_seq, "online": online}
        )
        if changed:  # the newcomer has the list in its hello already
            await self.broadcast({"type": "presence", "online": online}, skip_self=True)

    async def disconnect(self, code: int) -> None:
        if self.room_id:
            await self.channel_layer.group_discard(events.room_group(self.room_id), self.channel_name)
            online, changed = await presence.leave(
                self.room_key, user_id=self.user.pk, channel=self.channel_name
            )
            if changed:
                await self.broadcast({"type": "presence", "online": online})
        if self.scope["user"].is_authenticated:
            await self.channel_layer.group_discard(
                events.user_group(self.scope["user"].pk), self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.revoked:
            return
        with translation.override(self.language):
            try:
                command = protocol.parse(text_data, bytes_data, extra=self.extra_parsers)
                await self.dispatch_command(command)
            except ChatError as error:
                await self.send_frame(handlers.error_frame(error))
            except Exception:
                log.exception("chat frame failed in %s", self.room_key)
                await self.send_frame(
                    handlers.error_frame(
                        ChatError("server_error", _("Something went wrong on our side; please try again."))
                    )
                )

    async def dispatch_command(self, command: protocol.Command) -> None:
        if command.type == "ping":
            await presence.heartbeat(self.room_key, user_id=self.user.pk, channel=self.channel_name)
            await self.send_frame({"type": "pong"})
        elif command.type == "typing":
            now = time.monotonic()
            if now - self.last_typing >= settings.CHAT_TYPING_INTERVAL_SECONDS:
                self.last_typing = now
                await self.broadcast({"type": "typing", "user": self.user.pk}, skip_self=True)
        elif command.type == "sync":
            for frame in await database_sync_to_async(handlers.sync_frames)(
                room_id=self.room_id, after_seq=command.seq
            ):
                await self.send_frame(frame)
        else:
            reply = await database_sync_to_async(handlers.handle)(
                user=self.user, room_id=self.room_id, command=command, session_id=self.session_id
            )
            if reply is not None:
                await self.send_frame(reply)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels tidies database connections in the sync thread before every handler; a relay event
        # touches no database, and that hop on every delivery was most of the per-message cost.
        if message["type"] in self.relay_events:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=events.encode(frame))

    async def broadcast(self, frame: dict[str, Any], *, skip_self: bool = False) -> None:
        await self.channel_layer.group_send(
            events.room_group(self.room_id),
            events.frame_event(frame, skip_channel=self.channel_name if skip_self else ""),
        )

    async def room_frame(self, event: dict[str, Any]) -> None:
        """Relay a frame that was encoded once for the whole room."""
        if not self.revoked and event.get("skip") != self.channel_name:
            await self.send(text_data=event["text"])

    async def access_revoked(self, event: dict[str, Any]) -> None:
        """The person lost access to a room (or to everything): close with 4403 and hear nothing more."""
        if event.get("room") in (None, getattr(self, "room_key", None)):
            self.revoked = True
            if self.room_id:
                await self.channel_layer.group_discard(events.room_group(self.room_id), self.channel_name)
            await self.close(code=4403)


class CircleConsumer(RoomConsumer):
    """`/ws/circles/<id>/`: the circle's members and coach."""

    kind = "circle"


class ThreadConsumer(RoomConsumer):
    """`/ws/threads/<id>/`: the coach and the member of a 1:1 thread."""

    kind = "thread"
