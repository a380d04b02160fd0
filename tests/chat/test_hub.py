"""The per-process hub: sockets hear their groups' events once, in order, from the moment they join."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from coaching.lib import realtime


class Socket:
    """A listener that records what it hears."""

    def __init__(self) -> None:
        self.heard: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    async def deliver(self, event: dict[str, Any]) -> None:
        self.heard.append(event)
        self.arrived.set()

    async def until(self, count: int) -> list[str]:
        async with asyncio.timeout(3):
            while len(self.heard) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return [event["text"] for event in self.heard]


def frame(text: str) -> dict[str, Any]:
    return {"type": "room.frame", "text": text, "skip": ""}


async def test_a_socket_hears_what_is_sent_after_it_joined_and_nothing_from_before() -> None:
    first, newcomer = Socket(), Socket()
    await realtime.join("room.1", first)
    await realtime.publish("room.1", frame("before"))
    # The hub has not handed "before" out yet when the newcomer joins: it must still not get it (an older
    # presence list or message after its hello would be wrong).
    await realtime.join("room.1", newcomer)
    await realtime.publish("room.1", frame("after"))
    assert await first.until(2) == ["before", "after"]
    assert await newcomer.until(1) == ["after"]
    await asyncio.sleep(0.1)
    assert len(newcomer.heard) == 1


async def test_groups_are_separate_and_a_socket_that_left_hears_nothing() -> None:
    here, elsewhere, gone = Socket(), Socket(), Socket()
    await realtime.join("room.1", here)
    await realtime.join("room.2", elsewhere)
    await realtime.join("room.1", gone)
    await realtime.leave(["room.1"], gone)
    for n in range(5):
        await realtime.publish("room.1", frame(f"one {n}"))
    await realtime.publish("room.2", frame("two"))
    assert await here.until(5) == [f"one {n}" for n in range(5)]
    assert await elsewhere.until(1) == ["two"]
    assert gone.heard == []


async def test_events_queued_from_the_database_thread_go_out_in_order() -> None:
    socket = Socket()
    await realtime.join("room.7", socket)

    def commit_many() -> None:  # as transactions committing one after another in the database thread
        for n in range(50):
            realtime.send_event_on_commit([("room.7", frame(f"{n}a")), ("room.7", frame(f"{n}b"))])

    await asyncio.to_thread(commit_many)
    assert await socket.until(100) == [f"{n}{part}" for n in range(50) for part in "ab"]


@pytest.fixture
def other_process() -> Iterator[asyncio.AbstractEventLoop]:
    """Another event loop with a hub of its own, as a second daphne process behind the same Redis."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)


@pytest.mark.redis
async def test_through_redis_each_process_hears_every_event_once_in_order(other_process) -> None:
    here, there = Socket(), Socket()
    await realtime.join("room.3", here)
    asyncio.run_coroutine_threadsafe(realtime.join("room.3", there), other_process).result(timeout=5)
    texts = [f"message {n}" for n in range(200)]
    # Queued together, as a batch's broadcasts: published in one pipeline, heard in order everywhere.
    await asyncio.to_thread(realtime.send_event_on_commit, [("room.3", frame(text)) for text in texts])
    assert await here.until(200) == texts
    heard_there = asyncio.run_coroutine_threadsafe(there.until(200), other_process).result(timeout=5)
    assert heard_there == texts
    await asyncio.sleep(0.2)
    assert (len(here.heard), len(there.heard)) == (200, 200)


@pytest.mark.redis
async def test_a_process_unsubscribes_when_its_last_socket_in_a_group_leaves() -> None:
    one, two = Socket(), Socket()
    await realtime.join("room.4", one)
    await realtime.join("room.4", two)
    hub = realtime.hub()
    await realtime.leave(["room.4"], one)
    assert "room.4" in hub.subscribed
    await realtime.leave(["room.4"], two)
    assert "room.4" not in hub.subscribed
    assert "room.4" not in hub.groups


@pytest.mark.redis
async def test_a_socket_joining_while_the_last_one_leaves_keeps_the_subscription(other_process) -> None:
    leaving, joining, sender = Socket(), Socket(), Socket()
    await realtime.join("room.5", leaving)
    join = asyncio.create_task(realtime.join("room.5", joining))
    await asyncio.sleep(0)  # the newcomer is waiting for its mark
    await realtime.leave(["room.5"], leaving)
    await join
    assert "room.5" in realtime.hub().subscribed
    # Another process's broadcast still reaches the newcomer.
    asyncio.run_coroutine_threadsafe(realtime.join("room.5", sender), other_process).result(timeout=5)
    asyncio.run_coroutine_threadsafe(realtime.publish("room.5", frame("still here")), other_process).result(5)
    assert await joining.until(1) == ["still here"]
