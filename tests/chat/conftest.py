"""Fixtures for chat tests: sockets straight into the room router, as a given person, and posting."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from chat import routing as chat_routing
from chat.models import Room
from chat.sending import Send, Sent, send_messages
from coaching.accounts.models import User
from coaching.live import routing as live_routing

rooms = URLRouter(chat_routing.websocket_urlpatterns + live_routing.websocket_urlpatterns)


def new_id() -> str:
    return str(uuid.uuid4())


def post(author: User, room: Room, body: str, client_id: uuid.UUID | None = None, **extra: Any) -> Sent:
    """Post one message through the one write path (chat.sending.send_messages); its refusal is raised."""
    send = Send(author=author, room=room, client_id=client_id or uuid.uuid4(), body=body, **extra)
    (result,) = send_messages(sends=[send])
    if isinstance(result, Exception):
        raise result
    return result


async def receive_type(socket: WebsocketCommunicator, kind: str, *, timeout: float = 2) -> dict[str, Any]:
    """The next frame of that type, skipping presence and typing chatter."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame
        assert frame["type"] in {"presence", "typing"}, frame


async def drain(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    """Every frame waiting right now."""
    frames = []
    while not await socket.receive_nothing(timeout=0.2):
        frames.append(await socket.receive_json_from())
    return frames


@pytest.fixture
async def join() -> AsyncIterator[
    Callable[..., Coroutine[Any, Any, tuple[WebsocketCommunicator, dict[str, Any]]]]
]:
    """Open a socket to a room as a person; returns it with its hello frame. Closed after the test."""
    opened: list[WebsocketCommunicator] = []

    async def _join(username: str, path: str) -> tuple[WebsocketCommunicator, dict[str, Any]]:
        socket = WebsocketCommunicator(rooms, path)
        socket.scope["user"] = await database_sync_to_async(User.objects.get)(username=username)
        connected, _ = await socket.connect()
        assert connected
        opened.append(socket)
        hello = await socket.receive_json_from()
        assert hello["type"] == "hello", hello
        return socket, hello

    yield _join
    for socket in opened:
        await socket.disconnect()
