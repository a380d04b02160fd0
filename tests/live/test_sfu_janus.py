"""coaching/live/janus.py against a real Janus from deploy/janus: rooms, refusals, a dropped connection."""

from __future__ import annotations

import asyncio
import os

import pytest

from coaching.live.janus import Janus, JanusError, JanusUnavailable

ROOM = 4_503_599_627_370_495  # 2**52 - 1: the largest id a session can draw


async def test_a_room_is_created_found_and_destroyed(janus):
    client = await Janus.connect(janus.url, secret=janus.secret)
    try:
        info = await client.info()
        assert list(info["plugins"]) == ["janus.plugin.videoroom"]  # nothing else is loaded
        assert list(info["transports"]) == ["janus.transport.websockets"]
        control = await client.attach()
        assert (await control.message({"request": "exists", "room": ROOM}))[0]["exists"] is False
        created, _ = await control.message(
            {
                "request": "create",
                "room": ROOM,
                "secret": "s",
                "pin": "p",
                "publishers": 3,
                "videocodec": "vp8",
            }
        )
        assert created["videoroom"] == "created"
        assert (await control.message({"request": "exists", "room": ROOM}))[0]["exists"] is True
        with pytest.raises(JanusError) as again:
            await control.message({"request": "create", "room": ROOM, "secret": "s"})
        assert again.value.code == 427  # already exists
        with pytest.raises(JanusError) as wrong:
            await control.message({"request": "destroy", "room": ROOM, "secret": "not it"})
        assert wrong.value.code == 433  # unauthorized: the room's secret guards it
        await control.message({"request": "destroy", "room": ROOM, "secret": "s"})
        assert (await control.message({"request": "exists", "room": ROOM}))[0]["exists"] is False
    finally:
        await client.close()
    assert client.closed.is_set()


async def test_requests_without_the_api_secret_are_refused(janus):
    for secret in ("", "a guess"):
        with pytest.raises(JanusError) as refused:
            await Janus.connect(janus.url, secret=secret)
        assert refused.value.code == 403
        assert "secret" in refused.value.reason


def test_the_api_secret_is_not_on_the_command_line(janus):
    """Any local user reads a command line with `ps`; the secret sits in a file only Janus's user reads."""
    assert janus.process is not None
    with open(f"/proc/{janus.process.pid}/cmdline", "rb") as cmdline:
        args = cmdline.read().split(b"\0")
    assert not any(janus.secret.encode() in arg for arg in args)
    path = next(arg for arg in args if arg.startswith(b"--config=")).split(b"=", 1)[1].decode()
    with open(path) as config:
        assert f'api_secret = "{janus.secret}"' in config.read()
    assert os.stat(path).st_mode & 0o077 == 0  # neither group nor others may read it
    assert os.stat(os.path.dirname(path)).st_mode & 0o077 == 0


async def test_joining_a_room_needs_its_pin(janus):
    client = await Janus.connect(janus.url, secret=janus.secret)
    try:
        control = await client.attach()
        await control.message({"request": "create", "room": ROOM - 1, "secret": "s", "pin": "the pin"})
        handle = await client.attach()
        join = {"request": "join", "ptype": "publisher", "room": ROOM - 1, "id": 7}
        with pytest.raises(JanusError) as missing:
            await handle.message(join)
        assert missing.value.code == 429  # a missing mandatory element: the pin
        with pytest.raises(JanusError) as wrong:
            await handle.message({**join, "pin": "a guess"})
        assert wrong.value.code == 433
        joined, _ = await handle.message({**join, "pin": "the pin"})
        assert (joined["videoroom"], joined["id"]) == ("joined", 7)
        await control.message({"request": "destroy", "room": ROOM - 1, "secret": "s"})
    finally:
        await client.close()


async def test_an_unreachable_janus_and_a_dropped_connection_raise_unavailable(own_janus):
    with pytest.raises(JanusUnavailable):
        await Janus.connect("ws://127.0.0.1:9", secret=own_janus.secret, reply_within=2)
    client = await Janus.connect(own_janus.url, secret=own_janus.secret)
    control = await client.attach()
    await asyncio.to_thread(own_janus.stop)
    await asyncio.wait_for(client.closed.wait(), 5)
    with pytest.raises(JanusUnavailable):
        await control.message({"request": "exists", "room": ROOM})
    await client.close()
