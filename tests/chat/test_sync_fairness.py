"""A large catch-up never stalls the rest of its process (a real daphne, Redis and PostgreSQL).

Sixteen sockets each sync 4,000 messages from 0 at once while, on the same daphne, newcomers connect and
a member sends: both keep answering within a bound, and every catching-up socket still gets every message
exactly once and in order, with `sync.done` between the replay and what came live meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import sys
import time
import uuid
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from chat import selectors
from chat.access import circle_room_of
from chat.models import Message, Reaction, Room
from coaching.accounts.models import User
from tests.chat.conftest import drain, post, receive_type
from tests.conftest import ROOT

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

MESSAGES = 4_000
TABS = 16
# Seconds: any one connect or send, and half that for their medians. Generous, so the test does not flake
# on a busy machine; the figures printed are what counts (before paging, connects failed outright).
BOUND = 2.0
BODY = "Catching up on the week: what worked, what did not, and what I will try next time. " * 2


def cookie_for(username: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"


def seed(room: Room, authors: list[User]) -> None:
    """MESSAGES messages with gap-free seqs after the room's last one, and a reaction on every tenth."""
    start = room.last_seq
    first = timezone.now() - dt.timedelta(days=30)
    messages = Message.objects.bulk_create(
        Message(
            room=room,
            seq=start + n,
            author=authors[n % len(authors)],
            client_id=uuid.uuid4(),
            body=f"{n}: {BODY}",
            html=f"<p>{n}: {BODY}</p>",
            created_at=first + dt.timedelta(minutes=n),
        )
        for n in range(1, MESSAGES + 1)
    )
    Room.objects.filter(pk=room.pk).update(last_seq=start + MESSAGES)
    Reaction.objects.bulk_create(
        Reaction(message=m, user=authors[i % len(authors)], emoji="👍") for i, m in enumerate(messages[::10])
    )


@pytest.fixture
def place(own_daphne_factory, demo) -> dict[str, Any]:
    circle = demo["circles"][1]
    people = [circle["coach"], *circle["members"]]
    room = circle_room_of(circle["id"])
    seed(room, list(User.objects.filter(username__in=people)))
    # Many probe sends in a few seconds: the rate limit is not what this measures.
    server = own_daphne_factory(CHAT_RATE_LIMIT_MESSAGES="100000")
    return {
        "server": server,
        "url": server.replace("http://", "ws://") + f"/ws/circles/{circle['id']}/",
        "path": f"/ws/circles/{circle['id']}/",
        "room": room.pk,
        "cookies": [cookie_for(name) for name in people],
    }


async def open_socket(place: dict[str, Any], cookie: str) -> tuple[Any, float]:
    """A socket to the room, and how long it took from opening the connection to its `hello`."""
    started = time.perf_counter()
    socket = await websockets.connect(
        place["url"], additional_headers={"Cookie": cookie, "Origin": place["server"]}, compression=None
    )
    hello = json.loads(await socket.recv())
    assert hello["type"] == "hello"
    return socket, time.perf_counter() - started


async def connect_to_hello(place: dict[str, Any], cookie: str) -> float:
    """Seconds from opening a socket to its `hello`; infinite if the server gave up on the handshake."""
    try:
        socket, elapsed = await open_socket(place, cookie)
    except (websockets.InvalidHandshake, OSError) as refused:  # daphne drops a socket not accepted within 5 s
        print(f"\nconnect failed: {refused!r}")
        return float("inf")
    await socket.close()
    return elapsed


async def round_trip(socket: Any) -> float:
    """How long a send takes to come back to its sender as its `message.new`."""
    client_id = str(uuid.uuid4())
    started = time.perf_counter()
    await socket.send(json.dumps({"type": "message.send", "client_id": client_id, "body": "still here?"}))
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert frame["type"] != "error", frame
        if frame["type"] == "message.new" and frame["message"]["client_id"] == client_id:
            return time.perf_counter() - started


def ms(values: list[float]) -> str:
    median, most = statistics.median(values) * 1000, max(values) * 1000
    return f"median {median:.0f} ms, max {most:.0f} ms (n={len(values)})"


def check_tab(report: dict[str, Any], *, final: int) -> None:
    """The replay is 1..done_seq in order, then sync.done, then exactly what came later, in order."""
    seqs, done_at, done_seq = report["seqs"], report["done_at"], report["done_seq"]
    start = seqs.index(1)  # live messages heard before the server took the sync up come first
    assert all(seq <= done_seq for seq in seqs[:start])
    assert seqs[start:done_at] == list(range(1, done_seq + 1))
    assert seqs[done_at:] == list(range(done_seq + 1, final + 1))


async def test_many_large_syncs_leave_connects_and_sends_prompt(place):
    cookies = place["cookies"]
    sender, _ = await open_socket(place, cookies[1])
    quiet_connects = [await connect_to_hello(place, cookies[2]) for _ in range(5)]
    quiet_sends = [await round_trip(sender) for _ in range(5)]

    load = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.chat.sync_load",
        place["server"],
        place["path"],
        *[cookies[i % len(cookies)] for i in range(TABS)],
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert load.stdin is not None
    assert load.stdout is not None
    try:
        assert await asyncio.wait_for(load.stdout.readline(), 30) == b"ready\n"
        load.stdin.write(b"go\n")
        synced = asyncio.create_task(load.stdout.readline())
        busy_connects: list[float] = []
        busy_sends: list[float] = []
        while not synced.done():
            busy_connects.append(await connect_to_hello(place, cookies[2]))
            busy_sends.append(await round_trip(sender))
        sync_seconds = float((await synced).split()[1])
        final = await sync_to_async(Room.objects.values_list("last_seq", flat=True).get)(pk=place["room"])
        load.stdin.write(f"{final}\n".encode())
        reports = [json.loads(await asyncio.wait_for(load.stdout.readline(), 60)) for _ in range(TABS)]
        assert await asyncio.wait_for(load.wait(), 30) == 0
    finally:
        if load.returncode is None:
            load.kill()
            await load.wait()
    await sender.close()

    print(
        f"\nsync fairness: {TABS} sockets synced {MESSAGES} messages each in {sync_seconds:.2f} s;"
        f"\n  connect→hello quiet {ms(quiet_connects)}; during the syncs {ms(busy_connects)}"
        f"\n  send round trip quiet {ms(quiet_sends)}; during the syncs {ms(busy_sends)}"
    )
    for busy in (busy_connects, busy_sends):
        assert max(busy) < BOUND
        assert statistics.median(busy) < BOUND / 2
    for report in reports:
        assert report["done_seq"] >= MESSAGES + len(quiet_sends)
        check_tab(report, final=final)


@pytest.mark.django_db(transaction=True)
async def test_what_is_written_during_a_replay_comes_once_after_sync_done(join, demo, monkeypatch):
    circle_id = demo["circles"][1]["id"]
    kofi, _ = await join("kofi", f"/ws/circles/{circle_id}/")
    room = await database_sync_to_async(circle_room_of)(circle_id)
    grace = await database_sync_to_async(User.objects.get)(username="grace")
    for n in range(5):
        await database_sync_to_async(post)(grace, room, f"m{n}")
    for _ in range(5):
        await receive_type(kofi, "message.new")
    monkeypatch.setattr(selectors, "SYNC_PAGE", 2)
    first_page = selectors.sync_page

    def racing(**page: Any) -> selectors.SyncPage:
        # The replay's first read races two sends: one that commits just before it, one just after.
        if page["through_seq"] is None:
            post(grace, room, "just before the replay's end was fixed")
            answer = first_page(**page)
            post(grace, room, "just after")
            return answer
        return first_page(**page)

    monkeypatch.setattr(selectors, "sync_page", racing)
    await kofi.send_json_to({"type": "sync", "after_seq": 0})
    replay = [(await receive_type(kofi, "message.new"))["message"]["seq"] for _ in range(6)]
    assert replay == [1, 2, 3, 4, 5, 6]
    assert await receive_type(kofi, "sync.done") == {"type": "sync.done", "last_seq": 6}
    live = await receive_type(kofi, "message.new")
    assert live["message"]["seq"] == 7
    assert live["message"]["body"] == "just after"
    assert [f for f in await drain(kofi) if f["type"] != "presence"] == []  # seq 6 was not sent again
