"""Group names and broadcasts; a broadcast is sent only after the transaction that caused it commits.

Frames are encoded to JSON once per broadcast, not once per recipient.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def room_group(room_id: int) -> str:
    """The group of every socket connected to a room."""
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    """The group of every socket a person has open, in any room."""
    return f"user.{user_id}"


def encode(frame: dict[str, Any]) -> str:
    """A frame as the JSON text sent on the wire."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def frame_event(frame: dict[str, Any], *, skip_channel: str = "") -> dict[str, Any]:
    """A channel-layer event that makes each consumer send `frame` to its client."""
    return {"type": "room.frame", "text": encode(frame), "skip": skip_channel}


def send_now(group: str, event: dict[str, Any]) -> None:
    """Send an event to a group from sync code (outside any transaction that must commit first)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def send_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send an event to a group once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(send_now, group, event))


def broadcast_frame_on_commit(room_id: int, frame: dict[str, Any]) -> None:
    """After commit, every socket in the room receives `frame`."""
    send_on_commit(room_group(room_id), frame_event(frame))
