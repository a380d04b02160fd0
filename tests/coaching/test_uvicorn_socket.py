"""uvicorn's socket as the web process runs it (coaching/uvicorn_socket.py): a frame encoded once is written
as websockets would write it, never ahead of a send still waiting, never after a close; the handshake's
request is not kept; a group event is encoded once for all the process's sockets. A real uvicorn serving
broadcasts through it: tests/coaching/test_server.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode

from coaching.lib import realtime
from coaching.uvicorn_socket import PREPARED_FRAMES, WebSocketProtocol, prepare_text

HANDSHAKE = (
    b"GET /ws/circles/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class Transport(asyncio.Transport):
    """What the protocol writes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closing = False

    def write(self, data: Any) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Socket:
    """One accepted socket: the protocol, its transport, and the application's scope and send."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {}
        self.send: Any = None
        self.ready = asyncio.Event()

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope, self.send = scope, send
        await receive()
        await send({"type": "websocket.accept"})
        self.ready.set()
        await asyncio.Event().wait()  # open until the test ends

    async def open(self) -> Socket:
        config = Config(
            app=self.app, ws="coaching.uvicorn_socket:WebSocketProtocol", lifespan="off", interface="asgi3"
        )
        config.load()
        self.protocol = WebSocketProtocol(config=config, server_state=ServerState(), app_state={})
        self.transport = Transport()
        self.protocol.connection_made(self.transport)
        self.protocol.data_received(HANDSHAKE)
        await asyncio.wait_for(self.ready.wait(), 5)
        self.transport.written.clear()  # the handshake's response
        return self

    def write_prepared(self, text: str) -> bool:
        return bool(self.scope["extensions"][PREPARED_FRAMES](prepare_text(text)))


def text_frame(text: str) -> bytes:
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


@pytest.fixture
async def socket() -> Any:
    opened = await Socket().open()
    yield opened
    opened.protocol.connection_lost(None)


async def test_a_prepared_frame_is_the_frame_websockets_would_write(socket):
    assert socket.write_prepared('{"type":"message.new","body":"¡hola!"}')
    await socket.send({"type": "websocket.send", "text": "after"})
    assert bytes(socket.transport.written) == text_frame(
        '{"type":"message.new","body":"¡hola!"}'
    ) + text_frame("after")


async def test_the_handshake_request_is_not_kept(socket):
    assert socket.protocol.request is None
    assert socket.scope["path"] == "/ws/circles/1/"  # what the application reads of it is in the scope


async def test_a_prepared_frame_never_overtakes_a_send_waiting_for_the_client(socket):
    socket.protocol.pause_writing()  # the client is not reading
    assert not socket.write_prepared("broadcast 1")  # the caller sends it as usual, and waits
    waiting = asyncio.create_task(socket.send({"type": "websocket.send", "text": "reply"}))
    await asyncio.sleep(0)
    socket.protocol.resume_writing()
    assert not socket.write_prepared("broadcast 2")  # the reply has not gone yet
    await waiting
    assert socket.write_prepared("broadcast 3")
    assert bytes(socket.transport.written) == text_frame("reply") + text_frame("broadcast 3")


async def test_nothing_is_written_after_a_close(socket):
    await socket.send({"type": "websocket.close", "code": 4403})
    written = bytes(socket.transport.written)
    assert not socket.write_prepared("too late")
    assert bytes(socket.transport.written) == written


async def test_nothing_is_written_once_the_client_has_closed(socket):
    socket.protocol.data_received(Frame(Opcode.CLOSE, b"\x03\xe8").serialize(mask=True))
    socket.transport.written.clear()  # the protocol's answer to the close
    assert not socket.write_prepared("too late")
    assert bytes(socket.transport.written) == b""


class Member(realtime.HubSocket):
    """A socket in one group that relays its events, as the chat's, live and notification sockets do."""

    async def connect(self) -> None:
        await self.join("room.prepared")
        await self.accept()

    async def deliver(self, event: dict[str, Any]) -> None:
        await self.send_event_text(event)


async def test_a_group_event_is_encoded_once_for_every_socket_and_sent_as_usual_where_refused() -> None:
    written: list[tuple[int, bytes]] = []

    def writer(index: int, keeping_up: bool) -> Any:
        def write_prepared(frame: bytes) -> bool:
            if keeping_up:
                written.append((index, frame))
            return keeping_up

        return write_prepared

    sockets = []
    for index, keeping_up in enumerate([True, True, False]):
        socket = WebsocketCommunicator(Member.as_asgi(), "/ws/prepared/")
        socket.scope["extensions"] = {PREPARED_FRAMES: writer(index, keeping_up)}
        assert (await socket.connect())[0]
        sockets.append(socket)
    event = realtime.frame_event({"type": "presence", "online": [1, 2]})
    await realtime.publish("room.prepared", event)

    # The third socket's writer refused the frame (a client not keeping up): it went as an ASGI send.
    assert await sockets[2].receive_from(timeout=3) == event["text"]
    assert sorted(index for index, _ in written) == [0, 1]
    [(_, first), (_, second)] = written
    assert first == text_frame(event["text"])
    assert first is second  # encoded once, for both
    for socket in sockets:
        await socket.disconnect()
