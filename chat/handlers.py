"""The sync side of a socket: one call per frame, mapping commands to services and answers to frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from chat import access, ratelimit, services
from chat.errors import ChatError, NoAccess
from chat.models import Room
from chat.protocol import Command, ProtocolError
from coaching.accounts.models import User

SYNC_BATCH = 200


def open_room(*, user: User, kind: str, object_id: int) -> Room:
    """The room a socket asks for, if the person may be in it; NoAccess (4401/4403/4404) otherwise."""
    if not user.is_authenticated:
        raise NoAccess(4401)
    if kind == "circle":
        return access.circle_room(user=user, circle_id=object_id)
    if kind == "thread":
        return access.thread_room(user=user, thread_id=object_id)
    if kind == "session":
        return access.session_room(user=user, session_id=object_id)
    raise NoAccess(4404)


def last_seq(*, room_id: int) -> int:
    """The room's newest sequence number."""
    return int(Room.objects.values_list("last_seq", flat=True).get(pk=room_id))


def sync_frames(*, room_id: int, after_seq: int) -> list[dict[str, Any]]:
    """Every message after `after_seq` as `message.new` frames, in order, then `sync.done`."""
    room = Room.objects.get(pk=room_id)
    frames: list[dict[str, Any]] = []
    cursor = after_seq
    while True:
        batch = services.messages_after(room=room, after_seq=cursor, limit=SYNC_BATCH)
        frames.extend({"type": "message.new", "message": message} for message in batch)
        if len(batch) < SYNC_BATCH:
            break
        cursor = batch[-1]["seq"]
    frames.append(
        {"type": "sync.done", "last_seq": frames[-1]["message"]["seq"] if len(frames) else after_seq}
    )
    return frames


_rooms: dict[int, Room] = {}


def _room(room_id: int) -> Room:
    # A room's identity (kind, circle, thread) never changes: read it once per process.
    room = _rooms.get(room_id)
    if room is None:
        room = Room.objects.select_related("thread").get(pk=room_id)
        if len(_rooms) > 10_000:
            _rooms.clear()
        _rooms[room_id] = room
    return room


@dataclass(frozen=True)
class SendRequest:
    """A `message.send` from a socket: who, where, what, its live session if any, the sender's language."""

    user: User
    room_id: int
    command: Command
    session_id: int | None = None
    language: str | None = None  # None: refusals speak the language active where the batch runs


# Per send: the frame for the sender only, or None (the room broadcast answers), or the error to raise.
SendResult = dict[str, Any] | None | Exception


def handle_sends(requests: Sequence[SendRequest]) -> list[SendResult]:
    """Per send what `handle` would return or raise; one rate-limit round trip, one commit for the new."""
    results: dict[int, SendResult] = {}
    sends: dict[int, services.Send] = {}
    waits = ratelimit.retry_after_many(senders=[(request.user.pk, request.room_id) for request in requests])
    for i, (request, wait) in enumerate(zip(requests, waits, strict=True)):
        command = request.command
        assert command.type == "message.send"
        assert command.client_id is not None
        if wait is not None:
            with services.speaking(request.language):
                results[i] = ChatError(
                    "rate_limited",
                    _("You are sending messages too fast; try again in %(s)d s.") % {"s": wait},
                    retry_after=wait,
                )
            continue
        try:
            room = _room(request.room_id)
        except Room.DoesNotExist as error:  # a room deleted under an open socket fails its sends only
            results[i] = error
            continue
        sends[i] = services.Send(
            author=request.user,
            room=room,
            client_id=command.client_id,
            body=command.body,
            reply_to=command.reply_to,
            session_id=request.session_id,
            language=request.language,
        )
    for i, outcome in zip(sends, services.post_messages(sends=list(sends.values())), strict=True):
        # A new message reaches the sender through the room broadcast; a repeat is answered here only.
        if isinstance(outcome, services.Posted):
            results[i] = (
                None
                if outcome.created
                else {"type": "message.new", "message": services.message_payload(outcome.message)}
            )
        else:
            results[i] = outcome
    for i, request in enumerate(requests):
        result = results[i]
        if isinstance(result, ChatError):
            result.client_id = str(request.command.client_id)  # the error answers this send
    return [results[i] for i in range(len(requests))]


def handle(
    *, user: User, room_id: int, command: Command, session_id: int | None = None
) -> dict[str, Any] | None:
    """Carry out a command; returns a frame for the sender only, or None (the room hears the rest)."""
    if command.type == "message.send":
        (result,) = handle_sends(
            [SendRequest(user=user, room_id=room_id, command=command, session_id=session_id)]
        )
        if isinstance(result, Exception):
            raise result
        return result
    room = _room(room_id)
    if command.type == "read":
        services.mark_read(user=user, room=room, seq=command.seq)
        return None
    if command.type in ("reaction.add", "reaction.remove"):
        services.react(
            user=user,
            room=room,
            message_id=command.message_id,
            emoji=command.emoji,
            add=command.type == "reaction.add",
        )
        return None
    if command.type == "message.edit":
        services.edit_message(user=user, room=room, message_id=command.message_id, body=command.body)
        return None
    if command.type == "message.delete":
        services.delete_message(user=user, room=room, message_id=command.message_id)
        return None
    raise ProtocolError("invalid_frame", _("Unknown frame type."))


def error_frame(error: ChatError) -> dict[str, Any]:
    """The `error` frame that answers a refused frame."""
    frame: dict[str, Any] = {"type": "error", "code": error.code, "detail": error.detail}
    if error.client_id:
        frame["client_id"] = error.client_id
    if error.retry_after:
        frame["retry_after"] = error.retry_after
    return frame
