"""Group commit of sends: a batch answers each send exactly as posting them one at a time would."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import uuid
import weakref
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from chat import sending, services, writer
from chat.access import access_room
from chat.models import Mention, Message, Room
from coaching.accounts.models import User
from coaching.lib import redis as lib_redis
from coaching.lib.errors import ChatError
from tests.chat.conftest import post as post_one

pytestmark = pytest.mark.django_db(transaction=True)

HARAMBEE = ["amani.coach", "grace", "kofi", "james", "fatima", "daniel"]


@pytest.fixture
def rooms(demo) -> dict[str, Room]:
    """Harambee's room (English speakers) and Puentes' (Spanish), by circle name."""
    circles = {circle["name"]: circle for circle in demo["circles"]}
    return {
        name: access_room(User.objects.get(username=circles[name]["coach"]), circles[name]["id"])
        for name in ("Harambee", "Puentes")
    }


@pytest.fixture
def people(demo) -> dict[str, User]:
    return {user.username: user for user in User.objects.all()}


@pytest.fixture
def heard(monkeypatch) -> list[dict[str, Any]]:
    """Every `message.new` broadcast, recorded when its transaction commits, with what was committed then."""
    frames: list[dict[str, Any]] = []

    def on_commit(group: str, frame: dict[str, Any]) -> None:
        def record() -> None:
            frames.append(
                {
                    "room": int(group.removeprefix("room.")),
                    "seq": frame["message"]["seq"],
                    "client_id": frame["message"]["client_id"],
                    "in_transaction": connection.in_atomic_block,
                    "rows": Message.objects.count(),
                }
            )

        transaction.on_commit(record)

    def all_on_commit(events: list[tuple[str, dict[str, Any]]]) -> None:
        for group, event in events:
            on_commit(group, json.loads(event["text"]))

    monkeypatch.setattr(sending, "send_event_on_commit", all_on_commit)
    return frames


@pytest.fixture
def batches(monkeypatch) -> list[int]:
    """The size of every batch the writer handed to the database thread."""
    sizes: list[int] = []
    real = writer.answer_sends

    def counted(sends: list[sending.Send]) -> list[writer.Reply | Exception]:
        sizes.append(len(sends))
        return real(sends)

    monkeypatch.setattr(writer, "answer_sends", counted)
    return sizes


def outcome(result: sending.Sent | Exception) -> tuple[str, int] | str:
    """("new", seq), ("repeat", id) or the error code."""
    if isinstance(result, ChatError):
        return result.code
    assert isinstance(result, sending.Sent), result
    return ("new", result.message.seq) if result.created else ("repeat", result.message.pk)


def post_alone(sends: list[sending.Send]) -> list[sending.Sent | Exception]:
    """Each send alone, one after another: what the batch must answer."""
    return [result for send in sends for result in sending.send_messages(sends=[send])]


def post_batch(sends: list[sending.Send]) -> list[sending.Sent | Exception]:
    return sending.send_messages(sends=sends)


@pytest.mark.parametrize("post", [post_batch, post_alone])
def test_a_mixed_batch_answers_each_send_as_sending_it_alone_would(post, rooms, people, heard) -> None:
    room, other = rooms["Harambee"], rooms["Puentes"]
    earlier_id = uuid.uuid4()
    earlier = post_one(people["kofi"], room, "earlier", earlier_id)
    elsewhere = post_one(people["camila"], other, "elsewhere").message
    services.mute_member(user=people["amani.coach"], room=room, member=people["fatima"], minutes=30)
    heard.clear()
    same, twice = uuid.uuid4(), uuid.uuid4()

    def send(name: str, body: str, client_id: uuid.UUID | None = None, **extra: Any) -> sending.Send:
        return sending.Send(
            author=people[name], room=room, client_id=client_id or uuid.uuid4(), body=body, **extra
        )

    sends = [
        send("kofi", "hello"),
        send("grace", "   "),
        send("james", "x" * 4001),
        send("fatima", "may I?"),
        send("daniel", "re", reply_to=elsewhere.pk),
        send("grace", "once", same),
        send("grace", "once", same),  # the same send twice in one batch
        send("james", "first", twice),
        send("james", "second", twice),  # the same client_id, another body
        send("kofi", "earlier", earlier_id),  # a resend of an earlier message
        send("daniel", "@grace see above", reply_to=earlier.message.pk),
    ]
    results = post(sends)

    first_once = results[5]
    assert isinstance(first_once, sending.Sent)
    assert [outcome(result) for result in results] == [
        ("new", 2),
        "invalid_frame",
        "too_long",
        "forbidden",
        "not_found",
        ("new", 3),
        ("repeat", first_once.message.pk),
        ("new", 4),
        "conflict",
        ("repeat", earlier.message.pk),
        ("new", 5),
    ]
    assert list(room.messages.order_by("seq").values_list("seq", "body")) == [
        (1, "earlier"),
        (2, "hello"),
        (3, "once"),
        (4, "first"),
        (5, "@grace see above"),
    ]
    assert Room.objects.get(pk=room.pk).last_seq == 5
    assert list(Mention.objects.values_list("message__seq", "user__username")) == [(5, "grace")]
    # Broadcast once per new message, in seq order, each only after its transaction committed.
    assert [(frame["room"], frame["seq"]) for frame in heard] == [(room.pk, seq) for seq in (2, 3, 4, 5)]
    assert not any(frame["in_transaction"] for frame in heard)


def test_a_batch_of_new_messages_commits_once_and_broadcasts_in_seq_order_per_room(
    rooms, people, heard
) -> None:
    harambee, puentes = rooms["Harambee"], rooms["Puentes"]
    sends = [
        sending.Send(author=people[name], room=room, client_id=uuid.uuid4(), body=f"{name} {n} @grace")
        for n in range(3)
        for name, room in (("camila", puentes), ("kofi", harambee), ("mateo", puentes))
    ]
    results = sending.send_messages(sends=sends)

    assert [outcome(result) for result in results] == [("new", n) for n in (1, 1, 2, 3, 2, 4, 5, 3, 6)]
    assert Mention.objects.count() == 3  # @grace is someone only in Harambee
    # Every broadcast went out after all nine rows were committed: one transaction for the batch.
    assert {frame["rows"] for frame in heard} == {9}
    assert not any(frame["in_transaction"] for frame in heard)
    for room in (harambee, puentes):
        seqs = [frame["seq"] for frame in heard if frame["room"] == room.pk]
        assert seqs == list(range(1, len(seqs) + 1))
        assert Room.objects.get(pk=room.pk).last_seq == len(seqs)


def test_a_batch_stores_every_body_and_its_time_exactly_as_sent(rooms, people) -> None:
    harambee, puentes = rooms["Harambee"], rooms["Puentes"]
    bodies = [
        'quotes " and \' and a backslash \\ and {"json": [1, 2]}',
        "¡Ánimo, María! 🎉 日本語 עברית",
        "two\nlines\tand a tab",
        "<b>not bold</b> & **bold** [a link](https://example.org)",
        "$1::json %s %(name)s ?",
    ]
    sends = [
        sending.Send(author=people[name], room=room, client_id=uuid.uuid4(), body=body)
        for body in bodies
        for name, room in (("kofi", harambee), ("camila", puentes))
    ]
    results = sending.send_messages(sends=sends)

    for send, result in zip(sends, results, strict=True):
        assert isinstance(result, sending.Sent)
        assert result.created
        stored = Message.objects.get(pk=result.message.pk)
        assert (stored.body, stored.client_id) == (send.body, send.client_id)
        assert stored.html == result.message.html  # as rendered for the broadcast
        assert stored.created_at == result.message.created_at  # to the microsecond
        assert (stored.room_id, stored.author_id) == (send.room.pk, send.author.pk)


def test_refusals_speak_each_senders_language(rooms, people) -> None:
    harambee, puentes = rooms["Harambee"], rooms["Puentes"]
    client_id = uuid.uuid4()
    results = sending.send_messages(
        sends=[
            sending.Send(author=people["camila"], room=puentes, client_id=client_id, body=" ", language="es"),
            sending.Send(author=people["kofi"], room=harambee, client_id=client_id, body=" ", language="en"),
        ]
    )
    assert [str(result) for result in results] == [
        "Un mensaje no puede estar vacío.",
        "A message cannot be empty.",
    ]


@pytest.mark.postgres
def test_on_postgresql_a_lone_send_is_one_statement_and_a_batch_one_transaction(rooms, people) -> None:
    room = rooms["Harambee"]
    post_one(people["kofi"], room, "fills the caches")

    def send(body: str) -> sending.Send:
        return sending.Send(author=people["kofi"], room=room, client_id=uuid.uuid4(), body=body)

    with CaptureQueriesContext(connection) as lone:
        sending.send_messages(sends=[send("alone")])
    with CaptureQueriesContext(connection) as batch:
        sending.send_messages(sends=[send(f"together {n}") for n in range(5)])
    # Alone: the one autocommitted statement, as before batching. Together: the room locks and one insert for
    # all of them in one query string, which PostgreSQL runs as one transaction: one round trip, no BEGIN or
    # COMMIT of its own.
    assert len(lone.captured_queries) == 1
    statements = [query["sql"].split()[0] for query in batch.captured_queries]
    assert statements == ["SELECT"]
    assert list(room.messages.order_by("seq").values_list("seq", flat=True)) == list(range(1, 8))


@pytest.mark.postgres
def test_a_batch_with_a_deleted_room_stores_the_others_once_each_and_broadcasts_them(
    rooms, people, heard
) -> None:
    harambee, puentes = rooms["Harambee"], rooms["Puentes"]
    sends = [
        sending.Send(author=people["kofi"], room=harambee, client_id=uuid.uuid4(), body="one"),
        sending.Send(author=people["camila"], room=puentes, client_id=uuid.uuid4(), body="lost room"),
        sending.Send(author=people["kofi"], room=harambee, client_id=uuid.uuid4(), body="two"),
    ]
    Room.objects.filter(pk=puentes.pk).delete()  # under an open socket
    results = sending.send_messages(sends=sends)
    assert [outcome(results[0]), outcome(results[2])] == [("new", 1), ("new", 2)]
    assert isinstance(results[1], Exception)
    assert [(frame["room"], frame["seq"]) for frame in heard] == [(harambee.pk, 1), (harambee.pk, 2)]
    assert list(Message.objects.values_list("body", flat=True).order_by("seq")) == ["one", "two"]


@pytest.mark.postgres
def test_a_send_the_database_refuses_fails_alone(rooms, people, heard, monkeypatch) -> None:
    room = rooms["Harambee"]
    # PostgreSQL text cannot hold NUL. The edge refuses it first (coaching.lib.text), so that check is
    # skipped here: the NUL stands for any row the database refuses.
    monkeypatch.setattr(sending, "clean_body", lambda body: body)
    bodies = ["before", "nul \x00 byte", "after"]
    results = sending.send_messages(
        sends=[sending.Send(author=people["kofi"], room=room, client_id=uuid.uuid4(), body=b) for b in bodies]
    )
    assert isinstance(results[1], DatabaseError)
    assert [outcome(results[0]), outcome(results[2])] == [("new", 1), ("new", 2)]
    assert [frame["seq"] for frame in heard] == [1, 2]
    assert list(room.messages.order_by("seq").values_list("seq", "body")) == [(1, "before"), (2, "after")]


def test_rate_limits_answer_each_send_of_a_batch(rooms, people, settings) -> None:
    settings.CHAT_RATE_LIMIT_MESSAGES = 3
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    room = rooms["Harambee"]
    sends = [
        sending.Send(author=people[name], room=room, client_id=uuid.uuid4(), body=f"{name} {n}", limited=True)
        for name, n in [("kofi", 0), ("kofi", 1), ("grace", 0), ("kofi", 2), ("kofi", 3), ("kofi", 4)]
    ]
    results = writer.answer_sends(sends)

    assert results[:4] == [None, None, None, None]
    for send, error in zip(sends[4:], results[4:], strict=True):
        assert isinstance(error, ChatError)
        assert (error.code, error.client_id) == ("rate_limited", str(send.client_id))
        assert error.retry_after is not None
        assert 1 <= error.retry_after <= 60
    assert list(room.messages.order_by("seq").values_list("body", flat=True)) == [
        "kofi 0",
        "kofi 1",
        "grace 0",
        "kofi 2",
    ]
    # The batch counted like single sends do: one more for kofi is over, one more for grace is not.
    after = [
        sending.Send(author=people[name], room=room, client_id=uuid.uuid4(), body="more", limited=True)
        for name in ("kofi", "grace")
    ]
    waits = sending.Lookups(after).waits
    assert waits[0] is not None
    assert waits[1] is None


@pytest.mark.redis
def test_rate_limits_keep_counting_after_redis_forgets_the_script_and_expire_with_their_window(
    rooms, people, settings
) -> None:
    settings.CHAT_RATE_LIMIT_MESSAGES = 2
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    room = rooms["Harambee"]

    def wait_for_kofi() -> int | None:
        send = sending.Send(author=people["kofi"], room=room, client_id=uuid.uuid4(), body="hi", limited=True)
        return sending.Lookups([send]).waits[0]

    client = lib_redis.sync_client()
    assert client is not None
    assert wait_for_kofi() is None
    client.script_flush()  # as a Redis restart without persistence would
    assert wait_for_kofi() is None
    assert wait_for_kofi() is not None  # the third in the window is over the limit of two
    [key] = client.keys(f"{settings.CHANNEL_LAYER_PREFIX}:rate:{room.pk}:{people['kofi'].pk}:*")
    assert 0 < client.ttl(key) <= 61


@pytest.mark.redis
def test_a_batch_reads_its_rate_limits_and_mutes_in_one_redis_round_trip(rooms, people, monkeypatch) -> None:
    room = rooms["Harambee"]

    def batch(label: str) -> list[sending.Send]:
        return [
            sending.Send(author=people[name], room=room, client_id=uuid.uuid4(), body=label, limited=True)
            for name in HARAMBEE
        ]

    sending.send_messages(sends=batch("first"))  # the room's mutes are cached from here on
    client = lib_redis.sync_client()
    assert client is not None
    real_pipeline, real_command = client.pipeline, client.execute_command
    round_trips: list[str] = []

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        round_trips.append("pipeline")
        return real_pipeline(*args, **kwargs)

    def command(*args: Any, **kwargs: Any) -> Any:
        round_trips.append(str(args[0]))
        return real_command(*args, **kwargs)

    monkeypatch.setattr(client, "pipeline", pipeline)
    monkeypatch.setattr(client, "execute_command", command)
    results = sending.send_messages(sends=batch("second"))
    assert [outcome(result)[0] for result in results] == ["new"] * len(HARAMBEE)
    assert round_trips == ["EVALSHA"]  # the script, loaded by the first batch


async def _send(user: User, room: Room, body: str, client_id: uuid.UUID | None = None) -> Any:
    """A socket's send: rate-limited, refused in the language active where it is sent."""
    send = sending.Send(
        author=user,
        room=room,
        client_id=client_id or uuid.uuid4(),
        body=body,
        language=translation.get_language(),
        limited=True,
    )
    return await writer.submit(send)


async def test_sixty_concurrent_sends_share_a_few_commits_and_each_is_answered_once(
    rooms, people, heard, batches, settings
) -> None:
    settings.CHAT_RATE_LIMIT_MESSAGES = 100
    room = rooms["Harambee"]
    client_ids = [uuid.uuid4() for _ in range(60)]
    senders = [people[HARAMBEE[n % len(HARAMBEE)]] for n in range(60)]
    answers = await asyncio.gather(
        *(_send(sender, room, f"message {n}", client_ids[n]) for n, sender in enumerate(senders))
    )

    assert answers == [None] * 60  # a new message is acknowledged by its broadcast, to the sender too
    assert sorted(frame["client_id"] for frame in heard) == sorted(map(str, client_ids))
    assert [frame["seq"] for frame in heard] == list(range(1, 61))
    assert not any(frame["in_transaction"] for frame in heard)
    stored = await database_sync_to_async(list)(room.messages.order_by("seq").values_list("seq", flat=True))
    assert stored == list(range(1, 61))
    assert sum(batches) == 60
    assert len(batches) < 60


async def test_each_send_of_a_batch_gets_its_own_answer(rooms, people, batches) -> None:
    room, camila_room = rooms["Harambee"], rooms["Puentes"]
    kofi, grace, camila = people["kofi"], people["grace"], people["camila"]
    original = uuid.uuid4()
    await _send(kofi, room, "original", original)
    empty, conflict = uuid.uuid4(), uuid.uuid4()

    async def in_spanish(sent: Any) -> Any:
        with translation.override("es"):
            return await sent

    answers = await asyncio.gather(
        _send(kofi, room, "original", original),
        _send(grace, room, "  ", empty),
        in_spanish(_send(camila, camila_room, "  ")),
        _send(grace, room, "fine", conflict),
        _send(grace, room, "not fine", conflict),
        _send(kofi, room, "new"),
        return_exceptions=True,
    )

    repeat, refused, spanish, new, clash, newer = answers
    assert isinstance(repeat, dict)
    assert repeat["type"] == "message.new"
    assert (repeat["message"]["seq"], repeat["message"]["client_id"]) == (1, str(original))
    assert isinstance(refused, ChatError)
    assert (refused.code, refused.client_id, refused.detail) == (
        "invalid_frame",
        str(empty),
        "A message cannot be empty.",
    )
    assert isinstance(spanish, ChatError)
    assert spanish.detail == "Un mensaje no puede estar vacío."
    assert new is None
    assert isinstance(clash, ChatError)
    assert (clash.code, clash.client_id) == ("conflict", str(conflict))
    assert newer is None
    assert batches == [1, 6]
    stored = await database_sync_to_async(list)(room.messages.order_by("seq").values_list("seq", "body"))
    assert stored == [(1, "original"), (2, "fine"), (3, "new")]


async def test_the_writer_survives_a_failed_batch(rooms, people, monkeypatch, caplog) -> None:
    room = rooms["Harambee"]
    real = writer.answer_sends
    calls: list[int] = []

    def fails_once(sends: list[sending.Send]) -> list[writer.Reply | Exception]:
        calls.append(len(sends))
        if len(calls) == 1:
            raise RuntimeError("database on fire")
        return real(sends)

    monkeypatch.setattr(writer, "answer_sends", fails_once)
    failed = await asyncio.gather(
        *(_send(people[name], room, "lost?") for name in ("kofi", "grace")), return_exceptions=True
    )
    assert [type(error) for error in failed] == [RuntimeError, RuntimeError]
    assert "a batch of 2 sends failed" in caplog.text
    assert await _send(people["kofi"], room, "still here") is None
    stored = await database_sync_to_async(list)(room.messages.values_list("seq", "body"))
    assert stored == [(1, "still here")]


async def test_sends_arriving_during_a_write_wait_for_the_next_batch_and_a_cancelled_one_is_skipped(
    rooms, people, monkeypatch
) -> None:
    room = rooms["Harambee"]
    loop = asyncio.get_running_loop()
    writing, gate = asyncio.Event(), threading.Event()
    sizes: list[int] = []
    real = writer.answer_sends

    def gated(sends: list[sending.Send]) -> list[writer.Reply | Exception]:
        sizes.append(len(sends))
        loop.call_soon_threadsafe(writing.set)
        assert gate.wait(timeout=10)
        return real(sends)

    monkeypatch.setattr(writer, "answer_sends", gated)
    first = asyncio.create_task(_send(people["kofi"], room, "first"))
    await asyncio.wait_for(writing.wait(), timeout=5)  # the first send is being written, alone
    later = [asyncio.create_task(_send(people[name], room, name)) for name in ("grace", "james", "daniel")]
    await asyncio.sleep(0.05)
    later[1].cancel()
    gate.set()

    assert await first is None
    assert await later[0] is None
    assert await later[2] is None
    with pytest.raises(asyncio.CancelledError):
        await later[1]
    assert sizes == [1, 2]
    stored = await database_sync_to_async(list)(room.messages.order_by("seq").values_list("seq", "body"))
    assert stored == [(1, "first"), (2, "grace"), (3, "daniel")]


def test_each_event_loop_gets_its_own_writer_and_none_outlives_its_loop(rooms, people) -> None:
    room = rooms["Harambee"]
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def send_one(n: int) -> dict[str, Any] | None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        return await _send(people["kofi"], room, f"loop {n}")

    assert [asyncio.run(send_one(n)) for n in range(3)] == [None, None, None]
    gc.collect()
    assert len(writer._writers) == 0
    # asgiref's sync thread remembers the last loop that called it (until the next call); no other is kept.
    assert [loop() for loop in loops[:-1]] == [None, None]
    assert list(room.messages.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]
