"""Client frames: parsed and validated into commands, or refused with the protocol's error codes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from django.utils.translation import gettext as _

from coaching.lib.errors import ChatError

MAX_FRAME_BYTES = 16 * 1024


class ProtocolError(ChatError):
    """A frame the server cannot parse; answered with an `error` frame, never a closed socket."""


@dataclass(frozen=True)
class Command:
    """A valid client frame: its type and typed fields."""

    type: str
    client_id: uuid.UUID | None = None
    body: str = ""
    reply_to: int | None = None
    seq: int = 0
    message_id: int = 0
    emoji: str = ""
    user: int = 0
    to: int = 0
    data: dict[str, Any] | None = None
    attachments: tuple[uuid.UUID, ...] = ()


def _int(frame: dict[str, Any], name: str, *, required: bool = True, minimum: int = 0) -> int | None:
    value = frame.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ProtocolError(
            "invalid_frame",
            _("“%(field)s” must be a whole number of at least %(min)d.") % {"field": name, "min": minimum},
        )
    return value


def url_after_seq(query_string: bytes) -> int | None:
    """The socket URL's optional `after_seq` (a whole number ≥ 0); None when absent or anything else."""
    # Not an error to answer: a client whose value is refused is sent `hello` without a replay and syncs.
    values = parse_qs(query_string.decode("latin-1")).get("after_seq", [])
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit() or len(values[0]) > 18:
        return None
    return int(values[0])


def _str(frame: dict[str, Any], name: str) -> str:
    value = frame.get(name)
    if not isinstance(value, str):
        raise ProtocolError("invalid_frame", _("“%(field)s” must be text.") % {"field": name})
    return value


def _attachments(frame: dict[str, Any], raw_id: str | None) -> tuple[uuid.UUID, ...]:
    """The optional `attachments`: a list of distinct upload ids (UUIDs), in the order they are shown."""
    value = frame.get("attachments", [])
    refusal = ProtocolError("invalid_frame", _("“attachments” must be a list of file ids."), client_id=raw_id)
    if not isinstance(value, list):
        raise refusal
    keys: list[uuid.UUID] = []
    for item in value:
        try:
            key = uuid.UUID(item) if isinstance(item, str) else None
        except ValueError:
            key = None
        if key is None:
            raise refusal
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def _send(frame: dict[str, Any]) -> Command:
    raw_id = frame.get("client_id")
    try:
        client_id = uuid.UUID(raw_id) if isinstance(raw_id, str) else None
    except ValueError:
        client_id = None
    if client_id is None:
        raise ProtocolError("invalid_frame", _("“client_id” must be a UUID."))
    body = frame.get("body")
    if not isinstance(body, str):
        raise ProtocolError("invalid_frame", _("“body” must be text."), client_id=raw_id)
    return Command(
        "message.send",
        client_id=client_id,
        body=body,
        reply_to=_int(frame, "reply_to", required=False, minimum=1),
        attachments=_attachments(frame, raw_id),
    )


_PARSERS = {
    "message.send": _send,
    "sync": lambda f: Command("sync", seq=_int(f, "after_seq") or 0),
    "typing": lambda f: Command("typing"),
    "read": lambda f: Command("read", seq=_int(f, "seq") or 0),
    "reaction.add": lambda f: Command(
        "reaction.add", message_id=_int(f, "message_id", minimum=1) or 0, emoji=_str(f, "emoji")
    ),
    "reaction.remove": lambda f: Command(
        "reaction.remove", message_id=_int(f, "message_id", minimum=1) or 0, emoji=_str(f, "emoji")
    ),
    "message.edit": lambda f: Command(
        "message.edit", message_id=_int(f, "message_id", minimum=1) or 0, body=_str(f, "body")
    ),
    "message.delete": lambda f: Command("message.delete", message_id=_int(f, "message_id", minimum=1) or 0),
    "ping": lambda f: Command("ping"),
}


def parse(text: str | None, binary: bytes | None = None, *, extra: dict[str, Any] | None = None) -> Command:
    """Turn one WebSocket frame into a Command, or raise ProtocolError (invalid_frame, too_long)."""
    if text is None:
        raise ProtocolError("invalid_frame", _("Frames must be JSON text, not binary."))
    if len(text) > MAX_FRAME_BYTES or len(text.encode()) > MAX_FRAME_BYTES:
        raise ProtocolError("too_long", _("A frame can be at most 16 KiB."))
    try:
        frame = json.loads(text)
    except ValueError:
        raise ProtocolError("invalid_frame", _("That frame is not valid JSON.")) from None
    if not isinstance(frame, dict):
        raise ProtocolError("invalid_frame", _("A frame must be a JSON object."))
    kind = frame.get("type")
    parser = (extra or {}).get(kind) if isinstance(kind, str) else None
    parser = parser or (_PARSERS.get(kind) if isinstance(kind, str) else None)
    if parser is None:
        raise ProtocolError("invalid_frame", _("Unknown frame type."))
    command: Command = parser(frame)
    return command


def error_frame(error: ChatError) -> dict[str, Any]:
    """The `error` frame that answers a refused frame."""
    frame: dict[str, Any] = {"type": "error", "code": error.code, "detail": error.detail}
    if error.client_id:
        frame["client_id"] = error.client_id
    if error.retry_after:
        frame["retry_after"] = error.retry_after
    return frame
