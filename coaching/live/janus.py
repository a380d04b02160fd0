"""A small async client for the Janus API over its WebSocket transport (one connection, one Janus session).

What it guarantees:
- every request carries the API secret and a fresh transaction id, and is answered by the reply with that
  transaction: `success` (or the final `event` after an `ack`, for the plugin's asynchronous requests);
- `error` replies, and plugin replies that carry an `error_code`, raise `JanusError` with Janus's code and
  reason; a connection that cannot be opened, or that drops, raises `JanusUnavailable` in every waiting call;
- the events Janus sends on its own (`event`, `webrtcup`, `hangup`, `media`, `slowlink`, `detached`) go to
  the handle they are about (its `on_event` callback), in the order they arrive;
- a keepalive every `keepalive` seconds keeps the session (Janus drops it after 60 s of silence);
- `closed` is set when the connection is gone, whichever side ended it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Subprotocol

log = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
EventCallback = Callable[[dict[str, Any]], None]


class JanusError(Exception):
    """Janus, or its plugin, refused a request: `code` and `reason` are Janus's own."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusUnavailable(Exception):
    """Janus cannot be reached, or the connection to it dropped."""


class Handle:
    """One plugin handle on the session (a publisher, a subscriber, or room management)."""

    def __init__(self, janus: Janus, handle_id: int, on_event: EventCallback | None) -> None:
        self.janus = janus
        self.id = handle_id
        self.on_event = on_event

    async def message(
        self, body: dict[str, Any], *, jsep: dict[str, Any] | None = None, reply_within: float | None = None
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Send a plugin request; returns the plugin's data and the JSEP that came with the answer, if any."""
        request: dict[str, Any] = {"janus": "message", "handle_id": self.id, "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        reply = await self.janus.request(request, reply_within=reply_within)
        data = reply.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return data, reply.get("jsep")

    async def trickle(self, candidate: dict[str, Any] | None) -> None:
        """Pass one ICE candidate to Janus; None says gathering is complete."""
        await self.janus.request(
            {"janus": "trickle", "handle_id": self.id, "candidate": candidate or {"completed": True}},
            final_ack=True,
        )

    async def detach(self) -> None:
        """Hang up this handle's PeerConnection and drop the handle (a publisher leaves the room)."""
        self.janus.handles.pop(self.id, None)
        if not self.janus.closed.is_set():
            with contextlib.suppress(JanusError, JanusUnavailable):
                await self.janus.request({"janus": "detach", "handle_id": self.id})


class Janus:
    """One WebSocket to Janus holding one Janus session; make it with `await Janus.connect(...)`."""

    def __init__(
        self, socket: ClientConnection, *, secret: str, keepalive: float, reply_within: float
    ) -> None:
        self.socket = socket
        self.secret = secret
        self.reply_within = reply_within
        self.keepalive = keepalive
        self.session_id = 0
        self.handles: dict[int, Handle] = {}
        self.pending: dict[str, tuple[asyncio.Future[dict[str, Any]], bool]] = {}
        self.closed = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def connect(
        cls, url: str, *, secret: str, keepalive: float = 25.0, reply_within: float = 10.0
    ) -> Janus:
        """Open the socket and create a Janus session on it; JanusUnavailable when that fails."""
        try:
            socket = await connect(
                url,
                subprotocols=[Subprotocol("janus-protocol")],
                open_timeout=reply_within,
                ping_interval=None,  # Janus's own keepalive below does this job
                max_size=2**22,
                compression=None,
            )
        except (OSError, TimeoutError, WebSocketException) as error:
            raise JanusUnavailable(f"cannot connect to Janus at {url}: {error}") from error
        janus = cls(socket, secret=secret, keepalive=keepalive, reply_within=reply_within)
        janus.tasks.append(asyncio.create_task(janus._read()))
        try:
            reply = await janus.request({"janus": "create"})
        except BaseException:
            await janus.close()
            raise
        janus.session_id = int(reply["data"]["id"])
        janus.tasks.append(asyncio.create_task(janus._keep_alive()))
        return janus

    async def info(self) -> dict[str, Any]:
        """The server's `server_info` (version, plugins, transports)."""
        return await self.request({"janus": "info"})

    async def attach(self, plugin: str = VIDEOROOM, *, on_event: EventCallback | None = None) -> Handle:
        """A new handle on `plugin`; its events go to `on_event`."""
        reply = await self.request({"janus": "attach", "plugin": plugin})
        handle = Handle(self, int(reply["data"]["id"]), on_event)
        self.handles[handle.id] = handle
        return handle

    async def request(
        self, body: dict[str, Any], *, final_ack: bool = False, reply_within: float | None = None
    ) -> dict[str, Any]:
        """Send one request and return its reply; an `ack` is the reply only when `final_ack`."""
        if self.closed.is_set():
            raise JanusUnavailable("the connection to Janus is closed")
        transaction = secrets.token_hex(8)
        message = {**body, "transaction": transaction, "apisecret": self.secret}
        if self.session_id and body["janus"] not in ("create", "info"):  # the two server-wide requests
            message["session_id"] = self.session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[transaction] = (future, final_ack)
        try:
            await self.socket.send(json.dumps(message))
            reply = await asyncio.wait_for(future, reply_within or self.reply_within)
        except (OSError, WebSocketException) as error:
            raise JanusUnavailable(f"the connection to Janus dropped: {error}") from error
        except TimeoutError:
            raise JanusUnavailable(f"Janus did not answer {body['janus']} in time") from None
        finally:
            self.pending.pop(transaction, None)
        if reply.get("janus") == "error":
            refusal = reply.get("error", {})
            raise JanusError(int(refusal.get("code", 0)), str(refusal.get("reason", "")))
        return reply

    async def close(self) -> None:
        """Destroy the Janus session (its handles leave their rooms) and close the socket."""
        if not self.closed.is_set() and self.session_id:
            with contextlib.suppress(JanusError, JanusUnavailable):
                await self.request({"janus": "destroy"}, reply_within=2)
        await self.socket.close()
        for task in self.tasks:
            task.cancel()
        self._closed()

    def _closed(self) -> None:
        self.closed.set()
        for future, _final_ack in self.pending.values():
            if not future.done():
                future.set_exception(JanusUnavailable("the connection to Janus dropped"))

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                self._dispatch(json.loads(raw))
        except (OSError, WebSocketException):
            pass
        finally:
            self._closed()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("janus")
        waiting = self.pending.get(message.get("transaction") or "")
        # Plugins answer asynchronous requests with an ack first and the result later, as an event.
        if waiting is not None and not (kind == "ack" and not waiting[1]):
            future, _final_ack = waiting
            if not future.done():
                future.set_result(message)
            return
        if kind in ("ack", "success", "error"):
            return  # an ack for an asynchronous request, or a late reply nobody waits for
        if kind == "timeout":  # Janus dropped the session: as good as a closed connection
            self.tasks.append(asyncio.create_task(self.socket.close()))
            return
        handle = self.handles.get(int(message.get("sender") or 0))
        if handle is not None and handle.on_event is not None:
            try:
                handle.on_event(message)
            except Exception:
                log.exception("a Janus event handler failed")

    async def _keep_alive(self) -> None:
        while not self.closed.is_set():
            await asyncio.sleep(self.keepalive)
            try:
                await self.request({"janus": "keepalive"}, final_ack=True)
            except JanusUnavailable:
                await self.socket.close()
                return
            except JanusError:
                log.warning("Janus refused a keepalive", exc_info=True)
