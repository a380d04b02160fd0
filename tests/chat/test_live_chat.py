"""End to end against a real daphne with the Redis channel layer, over real WebSockets."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.test import Client

from chat.models import Message
from circles import services as circles_services
from circles.models import Circle
from coaching.accounts.models import User

pytestmark = [pytest.mark.redis]


def cookie_for(username: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"


class Member:
    """One person's socket to a room, with what it has received."""

    def __init__(self, server: str, path: str, cookie: str) -> None:
        self.url = server.replace("http://", "ws://") + path
        self.headers = {"Cookie": cookie, "Origin": server}
        self.socket: Any = None
        self.hello: dict[str, Any] = {}

    async def open(self) -> Member:
        # An unbounded queue: senders here never read their broadcasts, and a full queue would stop
        # the client from seeing the server's close frame.
        self.socket = await websockets.connect(
            self.url, additional_headers=self.headers, compression=None, max_queue=None
        )
        self.hello = json.loads(await self.socket.recv())
        assert self.hello["type"] == "hello"
        return self

    async def send(self, body: str, client_id: str | None = None) -> str:
        client_id = client_id or str(uuid.uuid4())
        await self.socket.send(json.dumps({"type": "message.send", "client_id": client_id, "body": body}))
        return client_id

    async def next(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        while True:
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            if frame["type"] == kind:
                return frame

    async def messages(self, count: int) -> list[dict[str, Any]]:
        return [(await self.next("message.new"))["message"] for _ in range(count)]


async def read_until_closed(member: Member, received: list[dict[str, Any]]) -> None:
    """Collect frames until the server closes the socket (raises ConnectionClosed)."""
    while True:
        received.append(json.loads(await asyncio.wait_for(member.socket.recv(), 2)))


@pytest.fixture
def room(daphne_server, demo):
    circle_id = demo["circles"][1]["id"]
    cookies = {
        name: cookie_for(name)
        for name in ["kofi", "grace", "james", "fatima", "daniel", "amani.coach", "camila"]
    }

    def member(username: str) -> Member:
        return Member(daphne_server, f"/ws/circles/{circle_id}/", cookies[username])

    return member


async def test_two_members_exchange_messages(room):
    kofi, grace = await room("kofi").open(), await room("grace").open()
    await kofi.send("Hola Grace")
    assert (await grace.messages(1))[0]["body"] == "Hola Grace"
    await grace.send("Hi Kofi!")
    received = await kofi.messages(2)
    assert [m["body"] for m in received] == ["Hola Grace", "Hi Kofi!"]
    assert [m["seq"] for m in received] == [1, 2]
    await kofi.socket.close()
    await grace.socket.close()


async def test_a_member_who_was_away_syncs_exactly_what_they_missed(room):
    kofi, grace = await room("kofi").open(), await room("grace").open()
    await kofi.send("before")
    last_seen = (await grace.messages(1))[0]["seq"]
    await grace.socket.close()
    for i in range(5):
        await kofi.send(f"while away {i}")
    await kofi.messages(6)
    grace = await room("grace").open()
    assert grace.hello["last_seq"] == 6
    await grace.socket.send(json.dumps({"type": "sync", "after_seq": last_seen}))
    missed = await grace.messages(5)
    assert [m["body"] for m in missed] == [f"while away {i}" for i in range(5)]
    assert [m["seq"] for m in missed] == [2, 3, 4, 5, 6]
    assert (await grace.next("sync.done"))["last_seq"] == 6
    await kofi.socket.close()
    await grace.socket.close()


async def test_the_same_client_id_sent_twice_yields_one_row(room):
    kofi = await room("kofi").open()
    client_id = await kofi.send("exactly once")
    first = (await kofi.messages(1))[0]
    await kofi.socket.close()
    kofi = await room("kofi").open()  # a reconnecting client resends what was not acknowledged
    await kofi.send("exactly once", client_id)
    again = (await kofi.messages(1))[0]
    assert (again["id"], again["seq"]) == (first["id"], first["seq"])
    assert await sync_to_async(Message.objects.filter(client_id=client_id).count)() == 1
    await kofi.socket.close()


@pytest.mark.postgres
async def test_twenty_concurrent_senders_get_seqs_one_to_n_without_gaps(room):
    names = ["kofi", "grace", "james", "fatima", "daniel"]
    senders = [await room(name).open() for name in names for _ in range(4)]  # 20 sockets
    listener = await room("amani.coach").open()
    per_sender = 5
    await asyncio.gather(*(s.send(f"{i}-{n}") for i, s in enumerate(senders) for n in range(per_sender)))
    received = await listener.messages(len(senders) * per_sender)
    seqs = [m["seq"] for m in received]
    assert seqs == list(range(1, len(senders) * per_sender + 1))
    stored = await sync_to_async(list)(Message.objects.order_by("seq").values_list("seq", flat=True))
    assert stored == seqs
    for socket in [*senders, listener]:
        await socket.socket.close()


async def test_an_idle_socket_stays_open_past_the_redis_read_timeout(room):
    # redis-py 8 defaults to a 5 s socket timeout that used to kill idle consumers (channels_redis#422).
    kofi = await room("kofi").open()
    await asyncio.sleep(6.5)
    await kofi.socket.send(json.dumps({"type": "ping"}))
    assert (await kofi.next("pong"))["type"] == "pong"
    await kofi.socket.close()


async def test_a_non_member_and_an_anonymous_visitor_are_refused(room, daphne_server, demo):
    camila = room("camila")
    with pytest.raises(websockets.ConnectionClosed) as refused:
        await camila.open()
    assert refused.value.rcvd.code == 4403
    anonymous = Member(daphne_server, f"/ws/circles/{demo['circles'][1]['id']}/", cookie="")
    with pytest.raises(websockets.ConnectionClosed) as refused:
        await anonymous.open()
    assert refused.value.rcvd.code == 4401
    foreign = room("kofi")
    foreign.headers["Origin"] = "https://evil.example"
    with pytest.raises(websockets.InvalidStatus) as rejected:
        await foreign.open()
    assert rejected.value.response.status_code == 403


async def test_a_removed_member_is_closed_with_4403_and_receives_nothing_more(room, demo):
    kofi, grace = await room("kofi").open(), await room("grace").open()

    def remove_kofi() -> None:
        circles_services.remove_member(
            actor=User.objects.get(username="ana.admin"),
            circle=Circle.objects.get(pk=demo["circles"][1]["id"]),
            member=User.objects.get(username="kofi"),
            reason="left",
        )

    # The removal happens in this test process; the Redis layer carries it to the daphne process.
    await sync_to_async(remove_kofi)()
    received: list[dict[str, Any]] = []
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await read_until_closed(kofi, received)
    assert closed.value.rcvd.code == 4403
    await grace.send("kofi should not see this")
    await grace.messages(1)
    assert all(frame["type"] in {"presence", "typing"} for frame in received)
    await grace.socket.close()
