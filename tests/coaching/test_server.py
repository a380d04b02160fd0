"""The web process (coaching/server.py) on a real daphne: oversized frames answered, graceful shutdown."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from typing import Any

import pytest
import websockets
from django.test import Client

from coaching.accounts.models import User

pytestmark = [pytest.mark.redis]


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


@pytest.mark.parametrize("size", [2_000_000, 16_000_000])
async def test_an_oversized_frame_is_answered_too_long_and_the_socket_stays_open(
    daphne_server, demo, cookies, size
):
    socket = await open_room(daphne_server, demo["circles"][1]["id"], cookies["kofi"])
    body = "x" * size
    await socket.send(json.dumps({"type": "message.send", "client_id": "c1", "body": body}))
    error = await next_frame(socket, "error")
    assert error["code"] == "too_long"
    await socket.send(json.dumps({"type": "ping"}))
    assert (await next_frame(socket, "pong"))["type"] == "pong"
    await socket.close()


async def test_sigterm_closes_sockets_with_1012_and_the_process_exits(
    daphne_process: tuple[str, subprocess.Popen[bytes]], demo, cookies
):
    daphne_server, process = daphne_process
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
