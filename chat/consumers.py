"""Async edges of the chat rooms: frames in, one service call each, group events out. No models here."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from chat import access, presence, protocol, selectors, services, writer
from chat.groups import room_group
from chat.sending import Send
from coaching.lib import busy, realtime
from coaching.lib.errors import ChatError, NoAccess
from coaching.lib.realtime import user_group

if TYPE_CHECKING:
    from chat.models import Room
    from coaching.accounts.models import User

log = logging.getLogger(__name__)

# How many replay pages of one process may wait for or use the database thread at once. The thread runs
# every database call of the process in turn, so more would not replay faster; it would only make a
# connect or a send wait behind more pages.
REPLAY_PAGES_AT_ONCE = 1
# How many replayed frames a socket sends before letting the event loop run the process's other sockets.
REPLAY_FRAMES_AT_ONCE = 50
_replay_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _replay_turn() -> asyncio.Semaphore:
    """The running process's turns for replay pages (first come, first served)."""
    loop = asyncio.get_running_loop()
    turns = _replay_turns.get(loop)
    if turns is None:
        turns = _replay_turns[loop] = asyncio.Semaphore(REPLAY_PAGES_AT_ONCE)
    return turns


class RoomConsumer(realtime.HubSocket):
    """A socket in one room: access checked at connect and again whenever the person's access changes."""

    # Frame types a subclass adds (type -> parser returning a protocol.Command), e.g. the session frames.
    extra_parsers: dict[str, Any] = {}
    # Group events this socket acts on (type -> handler name); anything else is ignored.
    group_events: dict[str, str] = {
        "room.frame": "room_frame",
        "access.revoked": "access_revoked",
        "hub.resync": "resync",
    }

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.socket_id = uuid.uuid4().hex
        self.held: list[dict[str, Any]] | None = []  # group events heard before the connect frames went out
        self.replaying: list[dict[str, Any]] | None = None  # events about messages heard during a replay
        self.replayed = (0, 0)  # the seqs the last replay sent: (after_seq, last_seq]
        self.replay_from: int | None = None  # the URL's after_seq, when the room has gone further
        await super().__call__(scope, receive, send)

    async def deliver(self, event: dict[str, Any]) -> None:
        """A group event from the hub; held until the socket is accepted and has its first frames."""
        if self.held is not None:
            self.held.append(event)
            return
        handler = self.group_events.get(event["type"])
        if handler is not None:
            await getattr(self, handler)(event)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        await super().websocket_connect(message)  # `connect`: hello, and what a subclass sends after it
        if self.replay_from is not None:
            # Group events heard meanwhile are still held: they go out after `sync.done`, without what the
            # replay carried (`relay`), as during a `sync`.
            await self.replay(after_seq=self.replay_from)
        held, self.held = self.held or [], None
        for event in held if self.room_id else ():  # a refused socket is closed already
            await self.deliver(event)

    def open_room(self, user: User, object_id: int) -> Room:
        """The room this socket asks for, if the person may be in it; NoAccess otherwise (database thread)."""
        return access.access_room(user, object_id)

    async def connect(self) -> None:
        user = self.scope["user"]
        self.room_id = 0
        self.session_id: int | None = None  # set by the live-session room: its messages are tagged
        self.revoked = False
        self.last_typing = 0.0
        object_id = int(self.scope["url_route"]["kwargs"]["object_id"])
        if user.is_authenticated:
            # Listen for revocations before checking access, so a removal racing this connect still lands.
            await self.join(user_group(user.pk))
        try:
            room = await database_sync_to_async(self.open_room)(user, object_id)
        except NoAccess as refusal:
            await self.accept()
            await self.close(code=refusal.close_code)
            return
        self.user = user
        self.language = user.ui_language
        self.room = room
        self.room_key = room.key
        self.room_id = room.pk
        # Join the room group before reading last_seq: whatever commits after the read reaches us.
        await self.join(room_group(room.pk))
        last_seq = await database_sync_to_async(selectors.last_seq)(room_id=room.pk)
        await self.accept()
        online, changed = await presence.join(self.room_key, user_id=user.pk, socket=self.socket_id)
        hello: dict[str, Any] = {
            "type": "hello",
            "room": self.room_key,
            "user": user.pk,
            "last_seq": last_seq,
            "online": online,
        }
        # A client that says in its URL what it holds is sent what it lacks at once, as if it had sent `sync`
        # on `hello`: one round trip less on every open and reconnect, most of the wait for someone far away.
        after_seq = protocol.url_after_seq(self.scope.get("query_string", b""))
        replay = after_seq is not None and after_seq < last_seq
        if replay:
            hello["replay_after"] = after_seq
        await self.send_frame(hello)
        if changed:  # the newcomer has the list in its hello already
            await self.broadcast({"type": "presence", "online": online}, skip_self=True)
        self.replay_from = after_seq if replay else None

    async def disconnect(self, code: int) -> None:
        if self.room_id:
            online, changed = await presence.leave(self.room_key, user_id=self.user.pk, socket=self.socket_id)
            if changed:
                await self.broadcast({"type": "presence", "online": online})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.revoked:
            return
        with translation.override(self.language):
            command: protocol.Command | None = None
            try:
                command = protocol.parse(text_data, bytes_data, extra=self.extra_parsers)
                await self.dispatch_command(command)
            except ChatError as error:
                await self.send_frame(protocol.error_frame(error))
            except Exception as error:
                if busy.pool_exhausted(error):  # retryable, not a fault: one line, no traceback
                    log.warning("database pool exhausted: a frame in %s answered busy", self.room_key)
                    await self.send_frame(
                        protocol.error_frame(
                            ChatError(
                                "busy",
                                busy.busy_message(),
                                retry_after=busy.RETRY_AFTER_SECONDS,
                                client_id=str(command.client_id) if command and command.client_id else None,
                            )
                        )
                    )
                    return
                log.exception("chat frame failed in %s", self.room_key)
                await self.send_frame(
                    protocol.error_frame(
                        ChatError("server_error", _("Something went wrong on our side; please try again."))
                    )
                )

    async def dispatch_command(self, command: protocol.Command) -> None:
        if command.type == "ping":
            await presence.heartbeat(self.room_key, user_id=self.user.pk, socket=self.socket_id)
            await self.send_frame({"type": "pong"})
        elif command.type == "typing":
            now = time.monotonic()
            if now - self.last_typing >= settings.CHAT_TYPING_INTERVAL_SECONDS:
                self.last_typing = now
                await self.broadcast({"type": "typing", "user": self.user.pk}, skip_self=True)
        elif command.type == "sync":
            await self.replay(after_seq=command.seq)
        elif command.type == "message.send":  # sends waiting together share one commit
            assert command.client_id is not None
            send = Send(
                author=self.user,
                room=self.room,
                client_id=command.client_id,
                body=command.body,
                reply_to=command.reply_to,
                session_id=self.session_id,
                attachments=command.attachments,
                language=self.language,
                limited=True,
            )
            reply = await writer.submit(send)  # None for a new message: its broadcast acknowledges it
            if reply is not None:
                await self.send_frame(reply)
        elif command.type == "read":
            await database_sync_to_async(services.mark_read)(user=self.user, room=self.room, seq=command.seq)
        elif command.type in ("reaction.add", "reaction.remove"):
            await database_sync_to_async(services.react)(
                user=self.user,
                room=self.room,
                message_id=command.message_id,
                emoji=command.emoji,
                add=command.type == "reaction.add",
            )
        elif command.type == "message.edit":
            await database_sync_to_async(services.edit_message)(
                user=self.user, room=self.room, message_id=command.message_id, body=command.body
            )
        elif command.type == "message.delete":
            await database_sync_to_async(services.delete_message)(
                user=self.user, room=self.room, message_id=command.message_id
            )
        else:
            raise protocol.ProtocolError("invalid_frame", _("Unknown frame type."))

    async def replay(self, *, after_seq: int) -> None:
        """Answer `sync` page by page, taking turns with the process's other replays for the database thread.

        Events about messages heard meanwhile wait until `sync.done` and then go out in the order heard,
        without the `message.new` frames the replay already carried; nothing is lost or sent twice.
        """
        self.replaying = []
        try:
            cursor, through = after_seq, None
            while not self.revoked:  # a socket that lost access hears nothing more, not even the rest
                async with _replay_turn():
                    page = await database_sync_to_async(selectors.sync_page)(
                        room=self.room, after_seq=cursor, through_seq=through
                    )
                for n, message in enumerate(page.messages, 1):
                    await self.send_frame({"type": "message.new", "message": message})
                    cursor = message["seq"]
                    if n % REPLAY_FRAMES_AT_ONCE == 0 or n == len(page.messages):
                        await asyncio.sleep(0)  # the process's other sockets go between, not after a page
                through = page.through_seq
                self.replayed = (after_seq, cursor)
                if page.last:
                    await self.send_frame({"type": "sync.done", "last_seq": cursor})
                    break
        finally:
            held = self.replaying  # what arrives while these go out joins the end: the order stays as heard
            while held:
                await self.relay(held.pop(0))
            self.replaying = None

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=realtime.encode(frame))

    async def broadcast(self, frame: dict[str, Any], *, skip_self: bool = False) -> None:
        await realtime.publish(
            room_group(self.room_id), realtime.frame_event(frame, skip=self.socket_id if skip_self else "")
        )

    async def room_frame(self, event: dict[str, Any]) -> None:
        """Relay a frame that was encoded once for the whole room; during a replay, see `replay`."""
        if event["skip"] == self.socket_id:
            return
        if self.replaying is not None and event.get("about"):
            self.replaying.append(event)
            return
        await self.relay(event)

    async def relay(self, event: dict[str, Any]) -> None:
        if self.revoked:
            return
        if self.replayed[0] < event.get("seq", 0) <= self.replayed[1]:
            return  # committed before the replay read it, broadcast after: the replay carried it already
        await self.send_event_text(event)

    async def resync(self, event: dict[str, Any]) -> None:
        """Events may have been lost (Redis came back): the client syncs from its last seq now."""
        if not self.revoked:
            await self.send_frame({"type": "resync"})

    async def access_revoked(self, event: dict[str, Any]) -> None:
        """The person lost access to a room (or to everything): close with 4403 and hear nothing more."""
        if event.get("room") in (None, getattr(self, "room_key", None)):
            self.revoked = True
            await self.close(code=4403)


class CircleConsumer(RoomConsumer):
    """`/ws/circles/<id>/`: the circle's members and coach."""


class ThreadConsumer(RoomConsumer):
    """`/ws/threads/<id>/`: the coach and the member of a 1:1 thread."""

    def open_room(self, user: User, object_id: int) -> Room:
        return access.access_thread(user, object_id).room
