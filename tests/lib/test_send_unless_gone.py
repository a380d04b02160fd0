"""A frame for a client that has just gone is dropped quietly, whatever the server; other faults surface."""

from __future__ import annotations

import asyncio

import pytest
from autobahn.exception import Disconnected

from coaching.lib.realtime import send_unless_gone


@pytest.mark.parametrize(
    "gone",
    [
        Disconnected("Attempt to send on a closed protocol"),  # daphne, between the close and its cleanup
        ConnectionResetError("ClientDisconnected"),  # uvicorn
    ],
)
def test_a_frame_for_a_client_that_has_gone_is_dropped(gone: BaseException) -> None:
    async def send(message: dict) -> None:
        raise gone

    asyncio.run(send_unless_gone(send, {"type": "websocket.send", "text": "{}"}))


def test_any_other_fault_still_surfaces() -> None:
    async def send(message: dict) -> None:
        raise ValueError("not a websocket message")

    with pytest.raises(ValueError, match="not a websocket message"):
        asyncio.run(send_unless_gone(send, {"type": "websocket.send", "text": "{}"}))
