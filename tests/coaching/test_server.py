"""The web process (coaching/server.py) on a real daphne and a real uvicorn: oversized frames answered,
graceful shutdown, a vanished client costs nothing; on daphne, keep-alive pings spread over the interval."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import websockets
from django.test import Client
from websockets.frames import Frame, Opcode

from coaching.accounts.models import User

pytestmark = [pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cookies(demo: dict[str, Any]) -> dict[str, str]:
    """Session cookies of three people in demo circle 1 (made here: the tests run in the event loop)."""
    found = {}
    for username in ["kofi", "grace", "amani.coach"]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        found[username] = f"sessionid={client.cookies['sessionid'].value}"
    return found


async def open_room(server: str, circle_id: int, cookie: str) -> Any:
    """A signed-in socket to a circle room, past its hello."""
    socket = await websockets.connect(
        f"{server.replace('http://', 'ws://')}/ws/circles/{circle_id}/",
        additional_headers={"Cookie": cookie, "Origin": server},
        compression=None,
    )
    assert json.loads(await socket.recv())["type"] == "hello"
    return socket


async def next_frame(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if frame["type"] == kind:
            return frame


@pytest.fixture(params=["daphne", "uvicorn"])
def web_process(
    request: pytest.FixtureRequest, transactional_db: None
) -> tuple[str, subprocess.Popen[bytes]]:
    """Our web process on each server the Procfile may run, of this test alone: (base URL, process).

    It names `transactional_db` itself: asked for only through getfixturevalue, pytest-django would have
    decided on a rolled-back transaction already, and the server would see none of the test's data."""
    return request.getfixturevalue(f"{request.param}_process")


@pytest.mark.parametrize("size", [2_000_000, 16_000_000])
async def test_an_oversized_frame_is_answered_too_long_and_the_socket_stays_open(
    web_process, demo, cookies, size
):
    socket = await open_room(web_process[0], demo["circles"][1]["id"], cookies["kofi"])
    body = "x" * size
    await socket.send(json.dumps({"type": "message.send", "client_id": "c1", "body": body}))
    error = await next_frame(socket, "error")
    assert error["code"] == "too_long"
    await socket.send(json.dumps({"type": "ping"}))
    assert (await next_frame(socket, "pong"))["type"] == "pong"
    await socket.close()


async def test_sigterm_closes_sockets_with_1012_and_the_process_exits(
    web_process: tuple[str, subprocess.Popen[bytes]], demo, cookies
):
    daphne_server, process = web_process
    circle_id = demo["circles"][1]["id"]
    sockets = [await open_room(daphne_server, circle_id, cookie) for cookie in cookies.values()]
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    for socket in sockets:
        await asyncio.wait_for(socket.wait_closed(), 5)
        assert socket.close_code == 1012
    await asyncio.to_thread(process.wait, 10)
    assert time.monotonic() - started < 5
    # No longer accepting: a new socket is refused.
    with pytest.raises(ConnectionRefusedError):
        await open_room(daphne_server, circle_id, cookies["kofi"])


async def test_a_client_that_vanishes_during_a_broadcast_costs_the_others_nothing(web_process, demo, cookies):
    url, _process = web_process
    circle_id = demo["circles"][1]["id"]
    kofi, grace, coach = [await open_room(url, circle_id, cookie) for cookie in cookies.values()]
    grace.transport.abort()  # gone without a closing handshake, while the room still counts her
    for n in range(5):
        await kofi.send(
            json.dumps({"type": "message.send", "client_id": str(uuid.uuid4()), "body": f"hi {n}"})
        )
    for socket in (kofi, coach):
        bodies = [(await next_frame(socket, "message.new"))["message"]["body"] for _ in range(5)]
        assert bodies == [f"hi {n}" for n in range(5)]
    await kofi.close()
    await coach.close()
    port = url.rsplit(":", 1)[1]
    log = next((ROOT / "var").glob(f"*-{port}.log")).read_text()
    assert "Traceback" not in log, log[-3000:]


class PingClock(websockets.ClientConnection):
    """A client connection that notes when the server's pings arrive."""

    pings: list[float]
    opened: float
    pinged: asyncio.Event

    def process_event(self, event: Any) -> None:
        if isinstance(event, Frame) and event.opcode is Opcode.PING:
            self.pings.append(time.monotonic())
            self.pinged.set()
        super().process_event(event)


async def test_keep_alive_pings_of_sockets_opened_together_are_spread(own_daphne_factory, demo, cookies):
    # With a 4 s interval, a socket's first ping would come 4-6 s after it opened (daphne checks every 2 s)
    # if every socket started its interval when it opened; spread, some come well before that.
    server = own_daphne_factory("--ping-interval", "4")
    circle_id = demo["circles"][1]["id"]
    sockets = []
    for cookie in list(cookies.values()) * 10:
        socket = await websockets.connect(
            f"{server.replace('http://', 'ws://')}/ws/circles/{circle_id}/",
            additional_headers={"Cookie": cookie, "Origin": server},
            compression=None,
            ping_interval=None,
            create_connection=PingClock,
        )
        socket.pings, socket.pinged = [], asyncio.Event()
        socket.opened = time.monotonic()
        sockets.append(socket)
    readers = [asyncio.create_task(drain(socket)) for socket in sockets]
    try:
        async with asyncio.timeout(15):
            await asyncio.gather(*(socket.pinged.wait() for socket in sockets))
        waits = sorted(socket.pings[0] - socket.opened for socket in sockets)
        assert waits[0] < 3.0, f"first pings {waits[0]:.1f}-{waits[-1]:.1f} s after opening"
    finally:
        for reader in readers:
            reader.cancel()
        for socket in sockets:
            await socket.close()


async def drain(socket: Any) -> None:
    """Read frames so the connection processes the server's pings."""
    async for _ in socket:
        pass
