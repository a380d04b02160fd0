"""Chat's group names on the realtime hub (coaching.lib.realtime)."""

from __future__ import annotations


def room_group(room_id: int) -> str:
    """The group of every socket connected to a room."""
    return f"room.{room_id}"
