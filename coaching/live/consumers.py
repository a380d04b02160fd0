"""`/ws/sessions/<id>/`: a live session: the circle's chat, the stage, hands and WebRTC signalling."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from chat.access import circle_room_of
from chat.consumers import RoomConsumer
from chat.protocol import Command, ProtocolError
from coaching.lib import realtime
from coaching.lib.errors import ChatError
from coaching.live import sfu, stage
from coaching.live.access import access_session

if TYPE_CHECKING:
    from chat.models import Room
    from coaching.accounts.models import User

MAX_SIGNAL_BYTES = 64 * 1024


def _person(frame: dict[str, Any], name: str) -> int:
    value = frame.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ProtocolError(
            "invalid_frame",
            _("“%(field)s” must be a whole number of at least %(min)d.") % {"field": name, "min": 1},
        )
    return value


def _signal(frame: dict[str, Any]) -> Command:
    to = _person(frame, "to")
    data = frame.get("data")
    if not isinstance(data, dict):
        raise ProtocolError(
            "invalid_frame", _("“data” must be an object (an SDP description or an ICE candidate).")
        )
    # Frames are capped at 16 KiB already; this is the contract's own limit on the relayed object.
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_SIGNAL_BYTES:
        raise ProtocolError("too_long", _("A signal can be at most 64 KiB."))
    return Command("rtc.signal", to=to, data=data)


def _devices(frame: dict[str, Any]) -> Command:
    flags = {name: frame.get(name) for name in stage.DEVICES}
    if not all(isinstance(value, bool) for value in flags.values()):
        raise ProtocolError("invalid_frame", _("“mic”, “camera” and “screen” must each be true or false."))
    return Command("media.state", data=flags)


def _bare(kind: str) -> Callable[[dict[str, Any]], Command]:
    return lambda frame: Command(kind)


def _with_person(kind: str) -> Callable[[dict[str, Any]], Command]:
    return lambda frame: Command(kind, user=_person(frame, "user"))


SESSION_PARSERS: dict[str, Callable[[dict[str, Any]], Command]] = {
    "session.start": _bare("session.start"),
    "session.end": _bare("session.end"),
    "session.mute_all": _bare("session.mute_all"),
    "hand.raise": _bare("hand.raise"),
    "hand.lower": _bare("hand.lower"),
    "stage.leave": _bare("stage.leave"),
    "stage.invite": _with_person("stage.invite"),
    "stage.remove": _with_person("stage.remove"),
    # The coach's stage controls and the devices a stage member reports.
    "hands.lower_all": _bare("hands.lower_all"),
    "stage.mute": _with_person("stage.mute"),
    "media.state": _devices,
    "rtc.signal": _signal,
    **sfu.PARSERS,
}

# Frames that are one service call about the sender alone.
OWN_ACTIONS: dict[str, Callable[..., None]] = {
    "session.start": stage.start,
    "session.end": stage.end,
    "session.mute_all": stage.mute_all,
    "hand.raise": stage.raise_hand,
    "hand.lower": stage.lower_hand,
    "stage.leave": stage.leave_stage,
    "hands.lower_all": stage.lower_all_hands,
}
# Frames about someone else, named in the frame's `user`.
TARGET_ACTIONS: dict[str, Callable[..., None]] = {
    "stage.invite": stage.invite,
    "stage.remove": stage.remove,
    "stage.mute": stage.mute_member,
}


class SessionConsumer(RoomConsumer):
    """A socket in a live session: chat frames as in the circle, plus the session frames."""

    extra_parsers = SESSION_PARSERS
    group_events = RoomConsumer.group_events | {
        "session.state": "session_state",
        "sfu.published": "sfu_published",
        "sfu.gone": "sfu_gone",
    }

    def open_room(self, user: User, object_id: int) -> Room:
        """The session's chat room is its circle's (messages sent here are tagged with the session)."""
        return circle_room_of(access_session(user, object_id).circle_id)

    async def connect(self) -> None:
        self.live_id = 0
        self.state_version = -1  # the newest session.state this socket has sent
        self.early_state: dict[str, Any] | None = None  # the newest one heard before the first was sent
        self.span_id: int | None = None
        self.live_groups: list[str] = []
        self.sfu: sfu.SfuBridge | None = None  # with the SFU only: this socket's media through Janus
        await super().connect()
        if not self.room_id:
            return  # refused and closed already
        self.live_id = int(self.scope["url_route"]["kwargs"]["object_id"])
        self.session_id = self.live_id  # chat messages sent here are tagged with the session
        self.live_groups = [stage.session_group(self.live_id), stage.signal_group(self.live_id, self.user.pk)]
        # In the groups before reading the state: whatever commits after the read reaches this socket.
        for group in self.live_groups:
            await self.join(group)
        self.span_id, state = await database_sync_to_async(stage.join)(
            user=self.user, session_id=self.live_id
        )
        self.state_version = state["version"]
        await self.send_frame(state)
        if self.early_state is not None:  # heard while joining: relay it only if it is newer
            await self.session_state(self.early_state)
        await self.send_frame({"type": "rtc.config", "ice_servers": stage.ice_servers()})
        if sfu.enabled():
            self.sfu = sfu.SfuBridge(
                user=self.user, session_id=self.live_id, send=self.send_frame, send_text=self.send_text
            )
            self.sfu.start()  # media.status follows when Janus answers, or does not

    async def disconnect(self, code: int) -> None:
        if self.sfu is not None:
            await self.sfu.close()
        if self.span_id is not None:
            state = await database_sync_to_async(stage.leave)(session_id=self.live_id, span_id=self.span_id)
            self.span_id = None
            if state is not None:  # committed: the others hear the new audience count
                await realtime.publish(stage.session_group(self.live_id), stage.state_event(state))
        await super().disconnect(code)

    async def session_state(self, event: dict[str, Any]) -> None:
        """Relay a new `session.state`, unless this socket already sent that one or a newer one."""
        # Broadcasts from different transactions can arrive out of order; the version puts them back.
        if self.state_version < 0:
            if self.early_state is None or event["version"] > self.early_state["version"]:
                self.early_state = event
            return
        if not self.revoked and event["version"] > self.state_version:
            self.state_version = event["version"]
            await self.send_event_text(event)
            if self.sfu is not None:
                self.sfu.state(sfu.state_of(event["text"]))

    async def dispatch_command(self, command: Command) -> None:
        if command.type == "rtc.signal":
            await database_sync_to_async(stage.check_signal)(
                user=self.user, session_id=self.live_id, to=command.to
            )
            await realtime.publish(
                stage.signal_group(self.live_id, command.to),
                realtime.frame_event({"type": "rtc.signal", "from": self.user.pk, "data": command.data}),
            )
        elif command.type == "media.state":
            await database_sync_to_async(stage.report_devices)(
                user=self.user, session_id=self.live_id, **(command.data or {})
            )
        elif command.type in OWN_ACTIONS:
            await database_sync_to_async(OWN_ACTIONS[command.type])(user=self.user, session_id=self.live_id)
            if command.type == "session.end" and self.sfu is not None:
                await self.sfu.ended()
        elif command.type in TARGET_ACTIONS:
            await database_sync_to_async(TARGET_ACTIONS[command.type])(
                user=self.user, session_id=self.live_id, target_id=command.user
            )
            if command.type == "stage.remove" and self.sfu is not None:
                await self.sfu.removed(command.user)
        elif command.type in sfu.PARSERS:
            if self.sfu is None:
                raise ChatError(
                    "forbidden", _("Video goes between the browsers here, not through a media server.")
                )
            await self.sfu.handle(command)
        else:
            await super().dispatch_command(command)

    async def access_revoked(self, event: dict[str, Any]) -> None:
        await super().access_revoked(event)
        if self.revoked and self.sfu is not None:
            self.sfu.stop()  # its Janus session goes now, not when the close handshake ends

    async def sfu_published(self, event: dict[str, Any]) -> None:
        """Someone's stream is up: tell the client, and offer it if this socket asked for them."""
        if not self.revoked:
            await self.send_text(event["text"])
            if self.sfu is not None:
                self.sfu.published(event["user"], event["feed"])

    async def sfu_gone(self, event: dict[str, Any]) -> None:
        """Someone's stream ended: the bridge drops its subscription to it and tells the client."""
        if not self.revoked and self.sfu is not None:
            self.sfu.gone(event["user"], event["feed"], event["text"])

    async def send_text(self, text: str) -> None:
        """Send a frame encoded already (once for the whole room)."""
        if not self.revoked:
            await self.base_send({"type": "websocket.send", "text": text})
