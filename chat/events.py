"""Group names and broadcasts; a broadcast is sent only after the transaction that caused it commits.

Frames are encoded to JSON once per broadcast, not once per recipient.
"""

from __future__ import annotations

import asyncio
import json
import logging
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


log = logging.getLogger(__name__)


class _Broadcaster:
    """Sends group events queued from any thread, one after another on the event loop, in queue order."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        while True:
            group, event = await self.queue.get()
            layer = get_channel_layer()
            try:
                if layer is not None:
                    await layer.group_send(group, event)
            except Exception:  # a lost push is recovered by sync; the sender must keep going
                log.exception("broadcast to %s failed", group)

    def submit(self, group: str, event: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, event))


_broadcaster: _Broadcaster | None = None


def attach_loop() -> None:
    """On the event loop (consumers call it): broadcasts from worker threads go through its queue."""
    global _broadcaster
    loop = asyncio.get_running_loop()
    if _broadcaster is None or _broadcaster.loop is not loop:
        _broadcaster = _Broadcaster(loop)


def send_now(group: str, event: dict[str, Any]) -> None:
    """Send an event to a group from sync code (outside any transaction that must commit first).

    In a server process the event is queued for the event loop and this returns at once, so the database
    thread never waits on Redis; elsewhere (commands, the worker, sync tests) it is sent before returning.
    """
    broadcaster = _broadcaster
    if broadcaster is not None and broadcaster.loop.is_running() and not broadcaster.loop.is_closed():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not broadcaster.loop:
            broadcaster.submit(group, event)
            return
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def send_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send an event to a group once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(send_now, group, event))


def broadcast_frame_on_commit(room_id: int, frame: dict[str, Any]) -> None:
    """After commit, every socket in the room receives `frame`."""
    send_on_commit(room_group(room_id), frame_event(frame))
