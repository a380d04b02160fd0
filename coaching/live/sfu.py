"""Live-session media through the SFU (Janus VideoRoom): the room of each session, and one bridge per socket.

The contract is docs/protocol.md, "Media: through the SFU, or a mesh without it". What this module keeps:
- `enabled()`: the SFU is used when `JANUS_URL` is set; otherwise the stage is a mesh and no bridge exists.
- The room: a live session gets a random Janus room id, secret and pin (stored on the session, never sent to
  a browser) the first time someone publishes or subscribes; the room is made in Janus when missing (so a
  Janus restart recovers), has `publishers` = the stage limit (VP8/Opus), and is destroyed when the coach
  ends the session.
- The bridge (`SfuBridge`): one per session socket, with its own Janus connection and session. Every sfu
  frame is checked against the database (live; on stage to publish; the target on stage to receive) and
  acts only on this socket's own handles. The Janus publisher id is the user's id, and a stale publisher
  with that id (another tab, a dead connection) is kicked first. A publication is announced to the room as
  `sfu.published` once its media is up and as `sfu.gone` when it ends; each bridge offers the streams its
  socket asked for as their people publish, again each time they publish anew.
- Server-side authority: a bridge that hears its person is off the stage hangs up their publisher, the
  coach's `stage.remove` kicks that person from the Janus room too, and a bridge drops what it receives
  from anyone off the stage. Closing the socket (or losing access) destroys its Janus session.
- Janus unreachable or gone: the socket hears `media.status` false, the chat goes on, the bridge retries
  with backoff, and `media.status` true says the client should publish and subscribe again.
- One worker task per bridge runs every Janus operation of that socket in order, so client frames, room
  events and Janus events never race; the hub's delivery never waits on Janus.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from chat.protocol import Command, ProtocolError
from coaching.lib import realtime
from coaching.lib.errors import ChatError
from coaching.live import stage
from coaching.live.janus import Handle, Janus, JanusError, JanusUnavailable
from coaching.live.models import LiveSession

if TYPE_CHECKING:
    from coaching.accounts.models import User

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 5.0  # a Janus back from a restart is found within this, plus jitter
JANUS_TIMEOUT_SECONDS = 5.0

# Janus VideoRoom error codes we expect and handle.
NO_SUCH_ROOM = 426
ROOM_EXISTS = 427
NO_SUCH_FEED = 428
ID_EXISTS = 436


def enabled() -> bool:
    """Whether live media goes through Janus (`JANUS_URL` set) rather than a mesh between browsers."""
    return stage.media_mode() == "sfu"


# ---------------------------------------------------------------- the room (database side)


@dataclass(frozen=True)
class Room:
    """A session's Janus room: what our server alone knows to make it, join it, kick from it, end it."""

    id: int
    secret: str
    pin: str


def _room_of(session: LiveSession) -> Room:
    """The session's room, drawing its random id, secret and pin the first time."""
    if session.media_room is None:
        with transaction.atomic():
            session = LiveSession.objects.select_for_update().get(pk=session.pk)
            if session.media_room is None:
                # 52 bits: the id stays exact as a JavaScript number in Janus's tools and logs.
                session.media_room = secrets.randbelow(2**52 - 1) + 1
                session.media_secret = secrets.token_urlsafe(24)
                session.media_pin = secrets.token_urlsafe(12)
                session.save(update_fields=["media_room", "media_secret", "media_pin"])
    assert session.media_room is not None
    return Room(session.media_room, session.media_secret, session.media_pin)


def _live(session_id: int) -> LiveSession:
    session = LiveSession.objects.filter(pk=session_id).first()
    if session is None or session.status != LiveSession.Status.LIVE:
        raise ChatError("forbidden", _("The session is not live."))
    return session


def room_to_publish(*, user: User, session_id: int) -> Room:
    """The room to send one's stream to: only someone on stage, while the session is live."""
    session = _live(session_id)
    if user.pk not in session.stage:
        raise ChatError("forbidden", _("Only people on stage can send video."))
    return _room_of(session)


def room_to_receive(*, user: User, session_id: int, target_id: int) -> Room:
    """The room to receive `target_id` from: anyone in the room, from someone else on stage, while live."""
    session = _live(session_id)
    if target_id == user.pk or target_id not in session.stage:
        raise ChatError("forbidden", _("You can only receive the video of someone else on stage."))
    return _room_of(session)


def room_if_any(*, session_id: int) -> Room | None:
    """The session's room if it was ever made (to kick someone from it, or destroy it)."""
    session = LiveSession.objects.filter(pk=session_id).first()
    if session is None or session.media_room is None:
        return None
    return Room(session.media_room, session.media_secret, session.media_pin)


# ---------------------------------------------------------------- frames


def _jsep(frame: dict[str, Any], kind: str) -> dict[str, Any]:
    jsep = frame.get("jsep")
    if not isinstance(jsep, dict) or jsep.get("type") != kind or not isinstance(jsep.get("sdp"), str):
        raise ProtocolError(
            "invalid_frame", _("“jsep” must be an SDP %(kind)s: {“type”, “sdp”}.") % {"kind": kind}
        )
    return {"type": kind, "sdp": jsep["sdp"]}  # nothing else reaches Janus


def _user(frame: dict[str, Any], *, nullable: bool = False) -> int:
    value = frame.get("user")
    if nullable and value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ProtocolError(
            "invalid_frame",
            _("“%(field)s” must be a whole number of at least %(min)d.") % {"field": "user", "min": 1},
        )
    return value


def _candidate(frame: dict[str, Any]) -> dict[str, Any] | None:
    candidate = frame.get("candidate")
    if candidate is None:
        return None
    if not isinstance(candidate, dict) or not isinstance(candidate.get("candidate"), str):
        raise ProtocolError("invalid_frame", _("“candidate” must be an ICE candidate, or null."))
    mid, index = candidate.get("sdpMid"), candidate.get("sdpMLineIndex")
    if (mid is not None and not isinstance(mid, str)) or (
        index is not None and (isinstance(index, bool) or not isinstance(index, int))
    ):
        raise ProtocolError("invalid_frame", _("“candidate” must be an ICE candidate, or null."))
    return {"candidate": candidate["candidate"], "sdpMid": mid, "sdpMLineIndex": index}


PARSERS: dict[str, Callable[[dict[str, Any]], Command]] = {
    "sfu.publish": lambda f: Command("sfu.publish", data=_jsep(f, "offer")),
    "sfu.subscribe": lambda f: Command("sfu.subscribe", user=_user(f)),
    "sfu.start": lambda f: Command("sfu.start", user=_user(f), data=_jsep(f, "answer")),
    "sfu.unsubscribe": lambda f: Command("sfu.unsubscribe", user=_user(f)),
    # user 0: one's own published stream.
    "sfu.trickle": lambda f: Command("sfu.trickle", user=_user(f, nullable=True), data=_candidate(f)),
}


def published_event(user_id: int, feed: str) -> dict[str, Any]:
    """`sfu.published` for the room; `feed` tells this publication from a later one of the same person."""
    frame = {"type": "sfu.published", "user": user_id}
    return {"type": "sfu.published", "user": user_id, "feed": feed, "text": realtime.encode(frame)}


def gone_event(user_id: int, feed: str) -> dict[str, Any]:
    """`sfu.gone` for the room: that publication ended (a newer one of the same person is unaffected)."""
    frame = {"type": "sfu.gone", "user": user_id}
    return {"type": "sfu.gone", "user": user_id, "feed": feed, "text": realtime.encode(frame)}


def _unavailable() -> ChatError:
    return ChatError(
        "media_unavailable", _("The media server cannot be reached right now; video comes back when it does.")
    )


# ---------------------------------------------------------------- the bridge


@dataclass
class _Received:
    """A stream this socket receives (or has been offered): its Janus handle and which publication."""

    handle: Handle
    feed: str
    waiting: bool = True  # offered, the client's answer not yet passed on


Job = Callable[[], Awaitable[None]]


class SfuBridge:
    """One session socket's media through Janus."""

    def __init__(
        self,
        *,
        user: User,
        session_id: int,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        send_text: Callable[[str], Awaitable[None]],
    ) -> None:
        self.user = user
        self.session_id = session_id
        self.send = send  # a frame to this socket's client
        self.send_text = send_text  # a frame encoded already
        self.group = stage.session_group(session_id)
        self.janus: Janus | None = None
        self.control: Handle | None = None  # room management: exists, create, kick, destroy, list
        self.ready_room = 0  # the room id known to exist on this connection
        self.available: bool | None = None  # the last media.status sent
        self.publisher: Handle | None = None
        self.feed = ""  # this socket's current publication
        self.received: dict[int, _Received] = {}
        self.wanted: set[int] = set()  # people whose stream the client asked for
        self.jobs: asyncio.Queue[tuple[Job, str, asyncio.Future[None] | None]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.closing: asyncio.Task[None] | None = None

    # -- lifecycle

    def start(self) -> None:
        """Connect to Janus in the background; the socket hears `media.status` either way."""
        self.tasks = [asyncio.create_task(self._work()), asyncio.create_task(self._stay_connected())]

    def stop(self) -> None:
        """Start closing (from a group event, which must not wait on Janus)."""
        if self.closing is None:
            self.closing = asyncio.create_task(self._close())

    async def close(self) -> None:
        """Hang up all this socket had: its Janus session is destroyed, its publication announced gone."""
        self.stop()
        assert self.closing is not None
        await self.closing

    async def _close(self) -> None:
        connecting = self.tasks[1:]
        for task in connecting:
            task.cancel()
        # After the job in hand (it may be hanging this very publication up): then nothing more runs.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._run(self._unpublish), JANUS_TIMEOUT_SECONDS)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.publisher is not None:  # the worker was stuck: announce it anyway
            self.publisher = None
            await realtime.publish(self.group, gone_event(self.user.pk, self.feed))
        if self.janus is not None:
            await self.janus.close()  # destroying the session takes its handles out of the room

    async def _status(self, available: bool) -> None:
        if self.available is not available:
            self.available = available
            await self.send({"type": "media.status", "available": available})

    async def _stay_connected(self) -> None:
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                janus = await Janus.connect(
                    settings.JANUS_URL, secret=settings.JANUS_API_SECRET, reply_within=JANUS_TIMEOUT_SECONDS
                )
                try:
                    control = await janus.attach()
                except BaseException:
                    await janus.close()
                    raise
            except (JanusUnavailable, JanusError) as error:
                log.info("Janus unavailable for session %s: %s", self.session_id, error)
                await self._status(False)
                await asyncio.sleep(delay * random.uniform(0.7, 1.0))  # noqa: S311 - jitter, not a secret
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            delay = RETRY_FIRST_SECONDS
            try:
                await self._run(partial(self._connected, janus, control))
            except BaseException:  # closing meanwhile: this connection must not outlive the socket
                if self.janus is not janus:
                    await janus.close()
                raise
            await self._status(True)
            await janus.closed.wait()
            await self._run(self._lost)
            await self._status(False)

    async def _connected(self, janus: Janus, control: Handle) -> None:
        self.janus, self.control, self.ready_room = janus, control, 0

    async def _lost(self) -> None:
        """The connection dropped, and every handle with it; the client starts over on `media.status` true."""
        self.janus = self.control = None
        self.received.clear()
        self.wanted.clear()
        await self._unpublish()

    # -- the worker: one Janus operation at a time

    async def _run(self, job: Job) -> None:
        """Run a job on the worker and wait for it; its errors are raised here."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.jobs.put_nowait((job, translation.get_language(), future))
        await future

    def _later(self, job: Job) -> None:
        self.jobs.put_nowait((job, translation.get_language(), None))

    async def _work(self) -> None:
        future: asyncio.Future[None] | None = None
        try:
            while True:
                job, language, future = await self.jobs.get()
                try:
                    with translation.override(language):  # errors are worded for the socket's person
                        await job()
                except Exception as error:
                    if future is not None and not future.done():
                        future.set_exception(error)
                    elif not isinstance(error, (JanusUnavailable, ChatError)):  # drops: the reconnect loop's
                        log.exception("SFU job failed in session %s", self.session_id)
                else:
                    if future is not None and not future.done():
                        future.set_result(None)
        finally:  # closing: nobody may wait for a job that will never run
            waiting = [future, *(item[2] for item in _drain(self.jobs))]
            for pending in waiting:
                if pending is not None and not pending.done():
                    pending.set_exception(JanusUnavailable("the socket closed"))

    def _janus(self) -> tuple[Janus, Handle]:
        if self.janus is None or self.control is None or self.janus.closed.is_set():
            raise _unavailable()
        return self.janus, self.control

    # -- client frames

    async def handle(self, command: Command) -> None:
        """One sfu frame from this socket's client; its error, if any, is raised here."""
        # The database checks run on the worker, in order with the session.state this socket hears: a check
        # that passed cannot be overtaken by the state that takes the person off the stage.
        jobs: dict[str, Job] = {
            "sfu.publish": partial(self._publish, command.data or {}),
            "sfu.subscribe": partial(self._subscribe, command.user),
            "sfu.start": partial(self._start, command.user, command.data or {}),
            "sfu.unsubscribe": partial(self._unsubscribe, command.user),
            "sfu.trickle": partial(self._trickle, command.user, command.data),
        }
        try:
            await self._run(jobs[command.type])
        except JanusUnavailable:
            raise _unavailable() from None
        except JanusError as error:
            log.warning("Janus refused a request in session %s: %s", self.session_id, error)
            raise ChatError(
                "invalid_frame", _("The media server refused this: %(reason)s") % {"reason": error.reason}
            ) from None

    async def _ensure_room(self, room: Room) -> None:
        """Make the session's room in Janus unless it is there (a restarted Janus has none)."""
        _janus, control = self._janus()
        if self.ready_room == room.id:
            return
        data, _jsep = await control.message({"request": "exists", "room": room.id})
        if not data.get("exists"):
            with contextlib.suppress(JanusError):  # another socket may make it at the same moment
                await control.message(
                    {
                        "request": "create",
                        "room": room.id,
                        "secret": room.secret,
                        "pin": room.pin,
                        "is_private": True,
                        "publishers": stage.stage_limit(),
                        "audiocodec": "opus",
                        "videocodec": "vp8",
                        "description": f"Circles live session {self.session_id}",
                    }
                )
        self.ready_room = room.id

    async def _publish(self, offer: dict[str, Any]) -> None:
        room = await database_sync_to_async(room_to_publish)(user=self.user, session_id=self.session_id)
        janus, control = self._janus()
        await self._ensure_room(room)
        await self._unpublish()  # this socket's earlier publication, if it starts over
        with contextlib.suppress(JanusError):  # a stale publisher of this person: another tab, a dead socket
            await control.message(
                {"request": "kick", "room": room.id, "secret": room.secret, "id": self.user.pk}
            )
        feed = secrets.token_hex(8)
        handle = await janus.attach(on_event=partial(self._on_publisher_event, feed))
        body = {
            "request": "joinandconfigure",
            "ptype": "publisher",
            "room": room.id,
            "pin": room.pin,
            "id": self.user.pk,
            "display": feed,  # lets a subscriber tell this publication from a later one
        }
        try:
            _data, answer = await handle.message(body, jsep=offer)
        except JanusError as error:
            await handle.detach()
            if error.code != ID_EXISTS:
                raise
            # The kicked publisher was still on its way out: once more.
            handle = await janus.attach(on_event=partial(self._on_publisher_event, feed))
            _data, answer = await handle.message(body, jsep=offer)
        self.publisher, self.feed = handle, feed
        await self.send({"type": "sfu.answer", "jsep": answer})

    async def _unpublish(self) -> None:
        """Hang up this socket's publication, if any, and tell the room it is gone."""
        handle, self.publisher = self.publisher, None
        if handle is not None:
            await handle.detach()
            await realtime.publish(self.group, gone_event(self.user.pk, self.feed))

    def _on_publisher_event(self, feed: str, message: dict[str, Any]) -> None:
        kind = message.get("janus")
        data = message.get("plugindata", {}).get("data", {})
        if kind == "webrtcup":
            self._later(partial(self._media_up, feed))
        elif kind == "hangup" or data.get("leaving") == "ok" or data.get("videoroom") == "destroyed":
            self._later(partial(self._publisher_down, feed))

    async def _media_up(self, feed: str) -> None:
        if self.publisher is not None and self.feed == feed:
            await realtime.publish(self.group, published_event(self.user.pk, feed))

    async def _publisher_down(self, feed: str) -> None:
        if self.publisher is not None and self.feed == feed:  # kicked, or its connection failed
            await self._unpublish()

    async def _subscribe(self, target: int) -> None:
        room = await self._room_to_receive(target)
        _janus, control = self._janus()
        await self._ensure_room(room)
        self.wanted.add(target)
        data, _jsep = await control.message({"request": "listparticipants", "room": room.id})
        for person in data.get("participants", []):
            if person.get("id") == target and person.get("publisher"):
                await self._offer(room, target, str(person.get("display", "")))

    async def _offer(self, room: Room, target: int, feed: str) -> None:
        """Open a subscription to `target`'s publication `feed` and send the client Janus's offer."""
        janus, _control = self._janus()
        await self._drop(target)
        handle = await janus.attach(on_event=partial(self._on_subscriber_event, target, feed))
        try:
            _data, offer = await handle.message(
                {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": room.id,
                    "pin": room.pin,
                    "streams": [{"feed": target}],
                }
            )
        except JanusError as error:
            await handle.detach()
            if error.code == NO_SUCH_FEED:  # they stopped meanwhile; their next publication is offered
                return
            raise
        self.received[target] = _Received(handle, feed)
        await self.send({"type": "sfu.offer", "user": target, "jsep": offer})

    async def _drop(self, target: int) -> None:
        received = self.received.pop(target, None)
        if received is not None:
            await received.handle.detach()

    def _on_subscriber_event(self, target: int, feed: str, message: dict[str, Any]) -> None:
        if message.get("janus") == "hangup":
            self._later(partial(self._subscriber_down, target, feed))

    async def _subscriber_down(self, target: int, feed: str) -> None:
        received = self.received.get(target)
        if received is not None and received.feed == feed:
            await self._drop(target)  # a later publication of theirs is offered again

    async def _room_to_receive(self, target: int) -> Room:
        return await database_sync_to_async(room_to_receive)(
            user=self.user, session_id=self.session_id, target_id=target
        )

    async def _start(self, target: int, answer: dict[str, Any]) -> None:
        await self._room_to_receive(target)
        received = self.received.get(target)
        if received is None or not received.waiting:
            raise ChatError("not_found", _("No offer for that person's video is waiting."))
        self._janus()
        await received.handle.message({"request": "start"}, jsep=answer)
        received.waiting = False

    async def _unsubscribe(self, target: int) -> None:
        self.wanted.discard(target)
        await self._drop(target)

    async def _trickle(self, target: int, candidate: dict[str, Any] | None) -> None:
        if target:
            received = self.received.get(target)
            handle = received.handle if received is not None else None
        else:
            handle = self.publisher
        if handle is None:
            raise ChatError("not_found", _("There is no such video connection."))
        self._janus()
        await handle.trickle(candidate)

    # -- what the room hears (from the consumer's group events; never waits on Janus)

    def published(self, user_id: int, feed: str) -> None:
        """Someone's publication is up: offer it if this socket asked for them."""
        self._later(partial(self._published, user_id, feed))

    async def _published(self, user_id: int, feed: str) -> None:
        if user_id not in self.wanted or user_id == self.user.pk or self.janus is None:
            return
        received = self.received.get(user_id)
        if received is not None and received.feed == feed:
            return
        try:
            room = await self._room_to_receive(user_id)
        except ChatError:  # off the stage again already
            return
        await self._offer(room, user_id, feed)

    def gone(self, user_id: int, feed: str, text: str) -> None:
        """Someone's publication ended: drop this socket's subscription to it (the wish stays), and tell the
        client, unless it receives a newer publication of theirs already (then this news is stale)."""
        self._later(partial(self._gone, user_id, feed, text))

    async def _gone(self, user_id: int, feed: str, text: str) -> None:
        received = self.received.get(user_id)
        if received is not None and received.feed != feed:
            return
        await self._drop(user_id)
        await self.send_text(text)

    def state(self, frame: dict[str, Any]) -> None:
        """A new `session.state`: whoever is off the stage stops sending and stops being received, now."""
        self._later(partial(self._state, frame))

    async def _state(self, frame: dict[str, Any]) -> None:
        on_stage = set(frame.get("stage", ())) if frame.get("status") == "live" else set()
        if self.user.pk not in on_stage:
            await self._unpublish()
        for target in [*self.received, *self.wanted]:
            if target not in on_stage:
                self.wanted.discard(target)
                await self._drop(target)

    # -- the coach's actions that reach into Janus

    async def removed(self, target: int) -> None:
        """The coach took `target` off the stage: kick them from the Janus room as well."""
        await self._run(partial(self._kick, target))

    async def _kick(self, target: int) -> None:
        room = await database_sync_to_async(room_if_any)(session_id=self.session_id)
        if room is None or self.control is None:
            return  # no room yet, or Janus is away: their own bridge hangs up when it hears the state
        with contextlib.suppress(JanusError, JanusUnavailable):
            await self.control.message(
                {"request": "kick", "room": room.id, "secret": room.secret, "id": target}
            )

    async def ended(self) -> None:
        """The coach ended the session: the Janus room goes (everyone in it is hung up)."""
        await self._run(self._destroy)

    async def _destroy(self) -> None:
        room = await database_sync_to_async(room_if_any)(session_id=self.session_id)
        if room is None or self.control is None:
            return  # a Janus that is away lost its rooms anyway
        with contextlib.suppress(JanusError, JanusUnavailable):
            await self.control.message({"request": "destroy", "room": room.id, "secret": room.secret})
        self.ready_room = 0


def _drain(queue: asyncio.Queue[Any]) -> list[Any]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def state_of(text: str) -> dict[str, Any]:
    """The `session.state` frame inside a group event's text."""
    frame: dict[str, Any] = json.loads(text)
    return frame
