"""The realtime hub: group events between processes, for sockets of any app.

What it guarantees:
- one channel-layer channel per process (per event loop), subscribed to every group one of its sockets is
  in, instead of a channel and a receive task per socket;
- a frame is encoded once (`frame_event`), and a batch of events crosses Redis once per process, in one
  round trip (`send_event_on_commit` publishes a batch in one pipeline);
- a socket hears every event sent after its `join` returned, and none that was sent before it asked;
- events sent from one process keep their order;
- `send_event_on_commit` sends only after the current transaction commits (at once outside one), and
  `publish` is the one untransactional path, for what a socket itself says (presence, typing, signals).

It imports no app: group names belong to the apps that use them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
import weakref
from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import BaseChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import decode_hosts
from django.conf import settings
from django.db import transaction
from redis import asyncio as aioredis

from coaching.lib import redis as lib_redis

log = logging.getLogger(__name__)

# (group, event): what `send_event_on_commit` and `publish` send.
Event = tuple[str, dict[str, Any]]


def user_group(user_id: int) -> str:
    """The group of every socket a person has open, on any page: revocations and their notifications."""
    return f"user.{user_id}"


def encode(frame: dict[str, Any]) -> str:
    """A frame as the JSON text sent on the wire."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def frame_event(frame: dict[str, Any], *, skip: str = "") -> dict[str, Any]:
    """An event that makes each socket in the group send `frame` (encoded here, once) to its client."""
    return {"type": "room.frame", "text": encode(frame), "skip": skip}


class Listener(Protocol):
    """A socket that hears group events."""

    async def deliver(self, event: dict[str, Any]) -> None: ...


class _RedisPublisher:
    """Many group events in one round trip, each published exactly as the Redis pub/sub layer's group_send."""

    def __init__(self, layer: RedisPubSubChannelLayer, redis: aioredis.Redis) -> None:
        self.layer = layer
        self.redis = redis

    @classmethod
    def for_layer(cls, layer: BaseChannelLayer | None) -> _RedisPublisher | None:
        """A publisher for the pub/sub layer on the process's Redis (settings.REDIS_URL); None otherwise."""
        if not isinstance(layer, RedisPubSubChannelLayer):
            return None
        hosts = decode_hosts(layer._kwargs.get("hosts"))
        redis = lib_redis.async_client()
        # Publishing elsewhere than where the layer subscribes would lose every event: only for its one host.
        if redis is None or len(hosts) != 1 or hosts[0].get("address") != settings.REDIS_URL:
            return None
        return cls(layer, redis)

    async def publish(self, items: list[Event]) -> None:
        # The group's Redis channel is named by the layer (what its subscribers listen on).
        loop_layer = self.layer._get_layer()
        async with self.redis.pipeline(transaction=False) as pipe:
            for group, event in items:
                pipe.publish(loop_layer._get_group_channel_name(group), self.layer.serialize(event))
            await pipe.execute()


class _Hub:
    """One event loop's sockets by group, fed through one channel-layer channel."""

    def __init__(self, loop: asyncio.AbstractEventLoop, layer: BaseChannelLayer | None) -> None:
        self.loop = loop
        self.layer = layer
        self.groups: dict[str, set[Listener]] = {}
        self.subscribed: set[str] = set()
        self.channel = ""
        self.marks: dict[str, tuple[str, Listener, asyncio.Future[None]]] = {}
        self.joining: dict[str, int] = {}  # sockets waiting for their mark, by group
        self.lock = asyncio.Lock()  # subscription changes, one at a time
        self.outbox: asyncio.Queue[list[Event]] = asyncio.Queue()
        self.publisher = _RedisPublisher.for_layer(layer)
        self.tasks = [loop.create_task(self._send_loop())]

    async def join(self, group: str, listener: Listener) -> None:
        if self.layer is None:
            self.groups.setdefault(group, set()).add(listener)
            return
        async with self.lock:
            if not self.channel:
                self.channel = await self.layer.new_channel()
                self.tasks.append(self.loop.create_task(self._receive_loop()))
            if group not in self.subscribed:
                await self.layer.group_add(group, self.channel)
                self.subscribed.add(group)
        # The socket starts listening where a mark sent now comes back through the same stream: it hears
        # every event sent after this returns, and none that was sent before it asked (a newcomer must not
        # get an older presence list or message after its hello).
        mark = uuid.uuid4().hex
        joined = self.marks[mark] = (group, listener, self.loop.create_future())
        self.joining[group] = self.joining.get(group, 0) + 1  # keeps the subscription until the mark is back
        try:
            await self.layer.send(self.channel, {"type": "hub.mark", "mark": mark})
            await joined[2]
        finally:
            self.joining[group] -= 1
            if not self.joining[group]:
                del self.joining[group]

    async def leave(self, groups: list[str], listener: Listener) -> None:
        # Forget the socket everywhere before the first await: a cancelled close must not leave it behind.
        for group in groups:
            members = self.groups.get(group)
            if members is not None:
                members.discard(listener)
                if not members:
                    del self.groups[group]
        if self.layer is None:
            return
        async with self.lock:
            for group in groups:
                if group in self.subscribed and group not in self.groups and group not in self.joining:
                    self.subscribed.discard(group)
                    await self.layer.group_discard(group, self.channel)

    async def send(self, group: str, event: dict[str, Any]) -> None:
        """Send an event to every socket in the group, in every process; sends from one task keep order."""
        await self.send_all([(group, event)])

    async def send_all(self, items: list[Event]) -> None:
        """Send events in order; with Redis, in one round trip."""
        if self.layer is None:
            for group, event in items:
                await self.deliver(group, event)
        elif self.publisher is not None:
            await self.publisher.publish([(group, {**event, "group": group}) for group, event in items])
        else:
            for group, event in items:
                await self.layer.group_send(group, {**event, "group": group})

    async def _send_loop(self) -> None:
        # Events queued from the database thread (after commits), sent in the order they were queued; what
        # queued up while the last ones went out goes together.
        while True:
            items = await self.outbox.get()
            while not self.outbox.empty():
                items += self.outbox.get_nowait()
            try:
                await self.send_all(items)
            except Exception:  # a lost push is recovered by sync; later events must still go out
                log.exception("broadcast of %d events failed", len(items))

    async def _receive_loop(self) -> None:
        assert self.layer is not None
        while True:
            try:
                event = await self.layer.receive(self.channel)
            except Exception:
                log.exception("group events could not be read; retrying")
                await asyncio.sleep(0.5)
                continue
            if event["type"] == "hub.mark":
                group, listener, joined = self.marks.pop(event["mark"])
                if not joined.cancelled():  # a socket that closed while joining stays out
                    self.groups.setdefault(group, set()).add(listener)
                    joined.set_result(None)
            else:
                await self.deliver(event.pop("group", ""), event)

    async def deliver(self, group: str, event: dict[str, Any]) -> None:
        for listener in list(self.groups.get(group, ())):
            try:
                await listener.deliver(event)
            except Exception:  # one broken socket must not cost the others their event
                log.exception("delivery to a socket in %s failed", group)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Hub] = weakref.WeakKeyDictionary()
_latest: _Hub | None = None


def hub() -> _Hub:
    """The running event loop's hub (made on first use, and again when the channel layer was replaced)."""
    global _latest
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    found = _hubs.get(loop)
    if found is None or found.layer is not layer:
        found = _hubs[loop] = _Hub(loop, layer)
    _latest = found
    return found


async def join(group: str, listener: Listener) -> None:
    """The socket hears the group's events from now on."""
    await hub().join(group, listener)


async def leave(groups: list[str], listener: Listener) -> None:
    """The socket no longer hears these groups."""
    await hub().leave(groups, listener)


async def publish(group: str, event: dict[str, Any]) -> None:
    """Send an event now, from the event loop, to the group's sockets in every process (no transaction)."""
    await hub().send(group, event)


def _send_now(items: list[Event]) -> None:
    # In a server process the events are queued on the event loop's hub and this returns at once, so the
    # database thread never waits on Redis; elsewhere (commands, the worker) they are sent before returning.
    found = _latest
    if found is not None and found.loop.is_running() and not found.loop.is_closed():
        found.loop.call_soon_threadsafe(found.outbox.put_nowait, items)
        return
    layer = get_channel_layer()
    if layer is None:
        return

    def send() -> None:
        for group, event in items:
            async_to_sync(layer.group_send)(group, {**event, "group": group})

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send()
        return
    # A thread that runs an event loop of its own (a sync caller inside an async tool) cannot block on
    # one: send from a short-lived thread instead, and wait for it.
    sender = threading.Thread(target=send)
    sender.start()
    sender.join()


def send_event_on_commit(events: Sequence[Event]) -> None:
    """After commit (at once outside a transaction) each (group, event) reaches its group's sockets."""
    items = list(events)
    if not items:
        return
    # Outside a transaction there is nothing to wait for; asking the connection would open one needlessly.
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_send_now, items))
    else:
        _send_now(items)


class HubSocket(AsyncWebsocketConsumer):
    """A WebSocket that hears group events through the process's hub, not through a channel of its own.

    One receive loop per socket, without channels' second task and channel-layer receive; the groups it
    joined are left when it closes. Subclasses implement `deliver(event)`.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        self.joined: list[str] = []
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            await leave(self.joined, self)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels also tidies database connections before every handler; each database call of a socket goes
        # through database_sync_to_async, which tidies them in the database thread already.
        await getattr(self, get_handler_name(message))(message)

    async def join(self, group: str) -> None:
        """Hear the group's events from now until the socket closes."""
        self.joined.append(group)
        await join(group, self)

    async def deliver(self, event: dict[str, Any]) -> None:
        """One group event from the hub."""
        raise NotImplementedError
