"""The realtime hub: group events between processes, for sockets of any app.

What it guarantees:
- one channel-layer channel per process (per event loop), subscribed to every group one of its sockets is
  in, instead of a channel and a receive task per socket;
- a frame is encoded once (`frame_event`), and a batch of events crosses Redis once per process, in one
  round trip (`send_event_on_commit` publishes a batch in one pipeline);
- a socket hears every event sent after its `join` returned, and none that was sent before it asked;
- events sent from one process keep their order;
- `send_event_on_commit` sends only after the current transaction commits (at once outside one), and
  `publish` is the one untransactional path, for what a socket itself says (presence, typing, signals);
- Redis faults are bounded: a join waits at most `JOIN_TIMEOUT_SECONDS` (then `RealtimeUnavailable`, and a
  socket still in its handshake is closed with 4503), a send that fails is logged in one line, and every
  socket that may have missed events hears `hub.resync` once Redis carries its groups' events again (after
  the subscription connection came back, or after a failed send to its group went through).

It imports no app: group names belong to the apps that use them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
import weakref
from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import BaseChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import decode_hosts
from django.conf import settings
from django.db import transaction
from redis import asyncio as aioredis

from coaching import uvicorn_socket
from coaching.lib import redis as lib_redis
from coaching.lib.busy import BUSY_CLOSE_CODE

log = logging.getLogger(__name__)

# (group, event): what `send_event_on_commit` and `publish` send.
Event = tuple[str, dict[str, Any]]

# A join (a socket's handshake) waits at most this long for Redis; then the socket is told to come back.
JOIN_TIMEOUT_SECONDS = 3.0
# A join mark not back within this long is sent again: the first may have been published while the
# subscription connection was down (it comes back re-subscribed, but what was published meanwhile is gone).
MARK_RESEND_SECONDS = 0.25
# After a failed send, the groups it was for are told to resync this often until Redis takes it.
RESYNC_RETRY_SECONDS = 0.25
# The event every socket in a group hears when it may have missed some of the group's events.
RESYNC: dict[str, Any] = {"type": "hub.resync"}


class RealtimeUnavailable(Exception):
    """Redis did not carry a join in time: the socket cannot hear its groups now."""


def user_group(user_id: int) -> str:
    """The group of every socket a person has open, on any page: revocations and their notifications."""
    return f"user.{user_id}"


def encode(frame: dict[str, Any]) -> str:
    """A frame as the JSON text sent on the wire."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


# Frames about a room's messages: a socket replaying a `sync` holds these until it is done.
MESSAGE_FRAMES = frozenset({"message.new", "message.updated", "reaction"})


def frame_event(frame: dict[str, Any], *, skip: str = "") -> dict[str, Any]:
    """An event that makes each socket in the group send `frame` (encoded here, once) to its client.

    `about` says whether the frame is about a message, and `seq` is a new message's seq (else 0), so a
    socket replaying a `sync` can hold or drop it without decoding the text."""
    kind = frame.get("type")
    seq = frame["message"]["seq"] if kind == "message.new" else 0
    return {
        "type": "room.frame",
        "text": encode(frame),
        "skip": skip,
        "about": kind in MESSAGE_FRAMES,
        "seq": seq,
    }


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
        # Marks on their way, each with the sockets that start listening where it comes back in the stream.
        self.marks: dict[str, tuple[list[tuple[str, Listener]], asyncio.Future[None]]] = {}
        self.joining: dict[str, int] = {}  # sockets waiting for their mark, by group
        self.lock = asyncio.Lock()  # subscription changes, one at a time
        self.outbox: asyncio.Queue[list[Event]] = asyncio.Queue()
        self.unsent: set[str] = set()  # groups whose events Redis refused: told to resync once it takes them
        self.publisher = _RedisPublisher.for_layer(layer)
        self.tasks = [loop.create_task(self._send_loop())]

    async def join(self, group: str, listener: Listener) -> None:
        """The listener hears the group from now on; RealtimeUnavailable if Redis cannot carry it in time."""
        if self.layer is None:
            self.groups.setdefault(group, set()).add(listener)
            return
        self.joining[group] = self.joining.get(group, 0) + 1  # keeps the subscription until the mark is back
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
                async with self.lock:
                    if not self.channel:
                        self.channel = await self.layer.new_channel()
                        self.tasks.append(self.loop.create_task(self._receive_loop()))
                    if group not in self.subscribed:
                        await self.layer.group_add(group, self.channel)
                        self.subscribed.add(group)
                    self._watch_connections()
                # The socket starts listening where a mark sent now comes back through the same stream: it
                # hears every event sent after this returns, and none that was sent before it asked (a
                # newcomer must not get an older presence list or message after its hello).
                await self._mark([(group, listener)])
        except lib_redis.UNAVAILABLE as error:  # TimeoutError among them
            lib_redis.warn_unavailable("a socket could not join its groups", error)
            raise RealtimeUnavailable(group) from None
        finally:
            self.joining[group] -= 1
            if not self.joining[group]:
                del self.joining[group]

    async def _mark(self, joiners: list[tuple[str, Listener]]) -> None:
        """Return once a mark sent through this process's channel comes back (resent until it does); the
        joiners are in their groups from that point of the stream on. A cancelled wait adds nobody."""
        assert self.layer is not None
        mark = uuid.uuid4().hex
        back: asyncio.Future[None] = self.loop.create_future()
        self.marks[mark] = (joiners, back)
        try:
            while True:
                await self.layer.send(self.channel, {"type": "hub.mark", "mark": mark})
                try:
                    await asyncio.wait_for(asyncio.shield(back), MARK_RESEND_SECONDS)
                    return
                except TimeoutError:
                    continue
        finally:
            self.marks.pop(mark, None)

    def _watch_connections(self) -> None:
        # Each subscription connection re-subscribes every channel it had when it reconnects (redis-py's own
        # connect callback, registered first); ours runs after it and tells the sockets to resync.
        if not isinstance(self.layer, RedisPubSubChannelLayer):
            return  # in-process layers do not reconnect
        for shard in self.layer._get_layer()._shards:
            if shard._pubsub is not None and shard._pubsub.connection is not None:
                shard._pubsub.connection.register_connect_callback(self._reconnected)

    def _reconnected(self, connection: object) -> None:
        task = self.loop.create_task(self._resync_all())
        self.tasks.append(task)
        task.add_done_callback(self.tasks.remove)

    async def _resync_all(self) -> None:
        # Events published while the subscription was down are lost: once a mark shows the re-subscribed
        # stream carries events again, every socket hears `hub.resync` and its client syncs.
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
                await self._mark([])
        except lib_redis.UNAVAILABLE as error:  # TimeoutError among them
            lib_redis.warn_unavailable("resync after the subscription reconnected", error)
            return  # it reconnects again later, and this runs again then
        listeners = {listener: group for group, members in self.groups.items() for listener in members}
        log.info("group events flow again: %d sockets told to resync", len(listeners))
        for listener, group in listeners.items():  # once per socket, whatever its number of groups
            await self._deliver_to(listener, group, dict(RESYNC))

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
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS), self.lock:
                for group in groups:
                    if group in self.subscribed and group not in self.groups and group not in self.joining:
                        self.subscribed.discard(group)
                        await self.layer.group_discard(group, self.channel)
        except lib_redis.UNAVAILABLE as error:  # TimeoutError among them
            # The layer forgot the group already; what Redis still sends for it is dropped on arrival.
            lib_redis.warn_unavailable("a closed socket's groups were not unsubscribed", error)

    async def send(self, group: str, event: dict[str, Any]) -> None:
        """Send an event to every socket in the group, in every process; sends from one task keep order.

        A Redis fault loses the event (one log line) and the group is told to resync once Redis is back."""
        try:
            await self.send_all([(group, event)])
        except lib_redis.UNAVAILABLE as error:
            self._unsent([(group, event)], error)

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

    def _unsent(self, items: list[Event], error: BaseException) -> None:
        lib_redis.warn_unavailable(f"{len(items)} group events were not sent", error)
        self.unsent.update(group for group, _ in items)

    async def _send_loop(self) -> None:
        # Events queued from the database thread (after commits), sent in the order they were queued; what
        # queued up while the last ones went out goes together. A lost push is recovered by sync: groups
        # whose events Redis refused are told to resync as soon as it takes events again.
        while True:
            items: list[Event] = []
            if self.unsent:
                with contextlib.suppress(TimeoutError):  # nothing new: just the hints
                    items = await asyncio.wait_for(self.outbox.get(), RESYNC_RETRY_SECONDS)
            else:
                items = await self.outbox.get()
            while not self.outbox.empty():
                items += self.outbox.get_nowait()
            hints = [(group, dict(RESYNC)) for group in sorted(self.unsent)]
            try:
                await self.send_all(items + hints)
            except lib_redis.UNAVAILABLE as error:
                self._unsent(items, error)
            except Exception:  # later events must still go out
                log.exception("broadcast of %d events failed", len(items))
            else:
                self.unsent.difference_update(group for group, _ in hints)

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
                found = self.marks.pop(event["mark"], None)  # a resent mark may come back twice
                if found is not None:
                    joiners, back = found
                    for group, listener in joiners:
                        self.groups.setdefault(group, set()).add(listener)
                    back.set_result(None)
            else:
                await self.deliver(event.pop("group", ""), event)

    async def deliver(self, group: str, event: dict[str, Any]) -> None:
        for listener in list(self.groups.get(group, ())):
            await self._deliver_to(listener, group, event)

    async def _deliver_to(self, listener: Listener, group: str, event: dict[str, Any]) -> None:
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


async def send_unless_gone(send: Any, message: dict[str, Any]) -> None:
    """Send an ASGI message; a client that has gone is not an error: its `websocket.disconnect` follows."""
    # uvicorn says so with an OSError (ClientDisconnected); daphne mostly drops the frame, but raises
    # autobahn's Disconnected between the close and its own cleanup.
    with contextlib.suppress(OSError, Disconnected):
        await send(message)


class HubSocket(AsyncWebsocketConsumer):
    """A WebSocket that hears group events through the process's hub, not through a channel of its own.

    One receive loop per socket, without channels' second task and channel-layer receive; the groups it
    joined are left when it closes. A handshake whose joins Redis does not carry in time is accepted and
    closed with 4503 (clients come back), with one log line. Subclasses implement `deliver(event)`, which
    also gets `hub.resync` when the socket may have missed events.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        self.channel_layer = None
        self.base_send = partial(send_unless_gone, send)  # no coroutine of its own on every frame sent
        # uvicorn (coaching/uvicorn_socket.py) writes a frame encoded once for the whole room; daphne has not.
        self.write_prepared = (scope.get("extensions") or {}).get(uvicorn_socket.PREPARED_FRAMES)
        self.joined: list[str] = []
        self.accepted = False
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
        try:
            await getattr(self, get_handler_name(message))(message)
        except RealtimeUnavailable:
            if message["type"] != "websocket.connect":
                raise
            if not self.accepted:
                await self.accept()
            await self.close(code=BUSY_CLOSE_CODE)
            raise StopConsumer from None

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        self.accepted = True
        await super().accept(subprotocol, headers)

    async def join(self, group: str) -> None:
        """Hear the group's events from now until the socket closes (RealtimeUnavailable: not in time)."""
        self.joined.append(group)
        await join(group, self)

    async def deliver(self, event: dict[str, Any]) -> None:
        """One group event from the hub."""
        raise NotImplementedError

    async def send_event_text(self, event: dict[str, Any]) -> None:
        """Send the event's `text`, already encoded for its whole group (a `frame_event`), to this client.

        Where the server allows it the frame is encoded once, on the event the hub hands to each socket, and
        written straight to the socket; otherwise (daphne, a client not keeping up) it goes as any send."""
        if self.write_prepared is not None:
            frame = event.get("prepared")
            if frame is None:
                frame = event["prepared"] = uvicorn_socket.prepare_text(event["text"])
            if self.write_prepared(frame):
                return
        await self.base_send({"type": "websocket.send", "text": event["text"]})
