"""The circle room over WebSocket: every frame of the contract and every error code."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from chat import selectors, writer
from chat.models import Message, MessageEdit, ReadMarker, Room
from chat.selectors import unread_count
from chat.services import mute_member
from coaching.accounts.models import User
from tests.chat.conftest import drain, new_id, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harambee(demo) -> str:
    return f"/ws/circles/{demo['circles'][1]['id']}/"


async def send(socket: WebsocketCommunicator, body: str, **extra) -> dict:
    frame = {"type": "message.send", "client_id": new_id(), "body": body, **extra}
    await socket.send_json_to(frame)
    return frame


async def test_hello_comes_first_with_the_room_the_person_and_who_is_online(join, harambee, demo):
    _kofi, hello = await join("kofi", harambee)
    assert hello["room"] == f"circle:{demo['circles'][1]['id']}"
    assert hello["last_seq"] == 0
    me = await database_sync_to_async(User.objects.get)(username="kofi")
    assert hello["user"] == me.pk
    assert hello["online"] == [me.pk]


async def test_a_message_reaches_everyone_in_the_room_sender_included(join, harambee):
    kofi, _ = await join("kofi", harambee)
    grace, _ = await join("grace", harambee)
    sent = await send(kofi, "Hello *circle*, @grace!")
    mine = await receive_type(kofi, "message.new")
    theirs = await receive_type(grace, "message.new")
    assert mine == theirs
    message = mine["message"]
    assert (message["seq"], message["client_id"], message["body"]) == (
        1,
        sent["client_id"],
        "Hello *circle*, @grace!",
    )
    assert message["author"]["username"] == "kofi"
    assert message["author"]["display_name"] == "Kofi Mensah"
    assert message["html"] == (
        '<p>Hello <em>circle</em>, <span class="mention" data-user="grace">@grace</span>!</p>'
    )
    assert message["created_at"].endswith("Z")
    assert message["reply_to"] is None


async def test_the_same_client_id_twice_stores_one_message_and_answers_the_original(join, harambee):
    kofi, _ = await join("kofi", harambee)
    grace, _ = await join("grace", harambee)
    frame = await send(kofi, "only once")
    first = await receive_type(kofi, "message.new")
    await receive_type(grace, "message.new")
    await kofi.send_json_to(frame)
    again = await receive_type(kofi, "message.new")
    assert again["message"]["id"] == first["message"]["id"]
    assert again["message"]["seq"] == first["message"]["seq"]
    assert [f for f in await drain(grace) if f["type"] == "message.new"] == []
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_the_same_client_id_with_another_body_is_a_conflict(join, harambee):
    kofi, _ = await join("kofi", harambee)
    frame = await send(kofi, "original")
    await receive_type(kofi, "message.new")
    await kofi.send_json_to({**frame, "body": "changed"})
    error = await receive_type(kofi, "error")
    assert (error["code"], error["client_id"]) == ("conflict", frame["client_id"])
    assert await database_sync_to_async(Message.objects.count)() == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (
            '{"type": "message.send", "client_id": "6f1c8e8e-9f3e-4e55-9d0c-1d5e8e8e8e8e", "body": "   "}',
            "invalid_frame",
        ),
        ('{"type": "message.send", "client_id": "not-a-uuid", "body": "x"}', "invalid_frame"),
        (
            '{"type": "message.send", "client_id": "6f1c8e8e-9f3e-4e55-9d0c-1d5e8e8e8e8e", "body": 42}',
            "invalid_frame",
        ),
        ('{"type": "sync", "after_seq": -1}', "invalid_frame"),
        ('{"type": "sync", "after_seq": true}', "invalid_frame"),
        ('{"type": "sync", "after_seq": "3"}', "invalid_frame"),
        ('{"type": "read"}', "invalid_frame"),
        ('{"type": "reaction.add", "message_id": 1, "emoji": "<b>"}', "invalid_frame"),
        ('{"type": "launch.rockets"}', "invalid_frame"),
        ('{"no": "type"}', "invalid_frame"),
        ("[1, 2, 3]", "invalid_frame"),
        ("this is not json", "invalid_frame"),
        ('{"type": "ping"', "invalid_frame"),
        (
            '{"type": "message.send", "client_id": "6f1c8e8e-9f3e-4e55-9d0c-1d5e8e8e8e8e", "body": "%s"}'
            % ("x" * 4001),
            "too_long",
        ),
        ('{"type": "ping", "pad": "%s"}' % ("x" * 17000), "too_long"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(join, harambee, raw, code):
    kofi, _ = await join("kofi", harambee)
    await kofi.send_to(text_data=raw)
    error = await receive_type(kofi, "error")
    assert error["code"] == code
    assert error["detail"]
    await kofi.send_json_to({"type": "ping"})
    assert (await receive_type(kofi, "pong"))["type"] == "pong"
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_a_binary_frame_is_refused_politely(join, harambee):
    kofi, _ = await join("kofi", harambee)
    await kofi.send_to(bytes_data=b"\x00\x01")
    assert (await receive_type(kofi, "error"))["code"] == "invalid_frame"


async def test_too_long_answers_the_send_with_its_client_id(join, harambee):
    kofi, _ = await join("kofi", harambee)
    frame = await send(kofi, "y" * 4001)
    error = await receive_type(kofi, "error")
    assert (error["code"], error["client_id"]) == ("too_long", frame["client_id"])


async def test_errors_speak_the_persons_language(join, harambee):
    await database_sync_to_async(User.objects.filter(username="kofi").update)(ui_language="es")
    kofi, _ = await join("kofi", harambee)
    await kofi.send_to(text_data="nope")
    assert (await receive_type(kofi, "error"))["detail"] == "Esa trama no es JSON válido."


async def test_sync_replays_what_was_missed_in_order_then_says_done(join, harambee):
    kofi, _ = await join("kofi", harambee)
    for i in range(5):
        await send(kofi, f"m{i}")
        await receive_type(kofi, "message.new")
    grace, hello = await join("grace", harambee)
    assert hello["last_seq"] == 5
    await grace.send_json_to({"type": "sync", "after_seq": 2})
    replay = [await receive_type(grace, "message.new") for _ in range(3)]
    assert [f["message"]["body"] for f in replay] == ["m2", "m3", "m4"]
    assert [f["message"]["seq"] for f in replay] == [3, 4, 5]
    assert await receive_type(grace, "sync.done") == {"type": "sync.done", "last_seq": 5}
    await grace.send_json_to({"type": "sync", "after_seq": 5})
    assert await receive_type(grace, "sync.done") == {"type": "sync.done", "last_seq": 5}


async def test_a_socket_that_names_its_last_seq_in_its_url_gets_what_it_lacks_without_asking(join, harambee):
    kofi, _ = await join("kofi", harambee)
    for i in range(5):
        await send(kofi, f"m{i}")
        await receive_type(kofi, "message.new")
    grace, hello = await join("grace", f"{harambee}?after_seq=2")
    assert (hello["last_seq"], hello["replay_after"]) == (5, 2)
    replay = [await grace.receive_json_from() for _ in range(4)]
    assert [f["message"]["body"] for f in replay[:3]] == ["m2", "m3", "m4"]
    assert replay[3] == {"type": "sync.done", "last_seq": 5}
    await send(kofi, "live")  # and then the room goes on live, once each
    assert (await receive_type(grace, "message.new"))["message"]["seq"] == 6
    assert [f for f in await drain(grace) if f["type"] == "message.new"] == []


@pytest.mark.parametrize(
    "query",
    [
        "after_seq=5",
        "after_seq=9",
        "after_seq=-1",
        "after_seq=x",
        "after_seq=1&after_seq=2",
        "after_seq=%EF%BC%91",
        "other=1",
    ],
)
async def test_nothing_is_replayed_unasked_when_the_url_holds_everything_or_no_whole_number(
    join, harambee, query
):
    kofi, _ = await join("kofi", harambee)
    for i in range(5):
        await send(kofi, f"m{i}")
        await receive_type(kofi, "message.new")
    grace, hello = await join("grace", f"{harambee}?{query}")
    assert hello["last_seq"] == 5
    assert "replay_after" not in hello
    assert [f["type"] for f in await drain(grace)] == []


async def test_sync_crosses_batches(join, harambee, monkeypatch):
    monkeypatch.setattr(selectors, "SYNC_PAGE", 2)
    kofi, _ = await join("kofi", harambee)
    for i in range(5):
        await send(kofi, f"m{i}")
        await receive_type(kofi, "message.new")
    await kofi.send_json_to({"type": "sync", "after_seq": 0})
    seqs = [(await receive_type(kofi, "message.new"))["message"]["seq"] for _ in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    assert (await receive_type(kofi, "sync.done"))["last_seq"] == 5


async def test_typing_reaches_the_others_at_most_every_few_seconds(join, harambee):
    kofi, hello = await join("kofi", harambee)
    grace, _ = await join("grace", harambee)
    await drain(kofi)
    await kofi.send_json_to({"type": "typing"})
    await kofi.send_json_to({"type": "typing"})
    frames = [f for f in await drain(grace) if f["type"] == "typing"]
    assert frames == [{"type": "typing", "user": hello["user"]}]
    assert [f for f in await drain(kofi) if f["type"] == "typing"] == []


async def test_read_moves_the_marker_forward_only(join, harambee):
    kofi, _ = await join("kofi", harambee)
    for i in range(3):
        await send(kofi, f"m{i}")
        await receive_type(kofi, "message.new")
    grace, _hello = await join("grace", harambee)
    grace_user = await database_sync_to_async(User.objects.get)(username="grace")
    room = await database_sync_to_async(Room.objects.get)(circle_id=int(harambee.strip("/").split("/")[-1]))
    assert await database_sync_to_async(unread_count)(user=grace_user, room=room) == 3
    for seq in (2, 1, 99):
        await grace.send_json_to({"type": "read", "seq": seq})
    await grace.send_json_to({"type": "ping"})
    await receive_type(grace, "pong")
    marker = await database_sync_to_async(ReadMarker.objects.get)(user=grace_user)
    assert marker.seq == 3  # 99 is clamped to the last message, 1 never moves it back
    assert await database_sync_to_async(unread_count)(user=grace_user, room=room) == 0


async def test_reactions_are_added_and_removed_for_everyone(join, harambee):
    kofi, _ = await join("kofi", harambee)
    grace, hello = await join("grace", harambee)
    await send(kofi, "thanks all")
    message = (await receive_type(kofi, "message.new"))["message"]
    await receive_type(grace, "message.new")
    await grace.send_json_to({"type": "reaction.add", "message_id": message["id"], "emoji": "🙏"})
    added = await receive_type(kofi, "reaction")
    assert added == {
        "type": "reaction",
        "message_id": message["id"],
        "emoji": "🙏",
        "user": hello["user"],
        "op": "add",
    }
    await grace.send_json_to({"type": "reaction.remove", "message_id": message["id"], "emoji": "🙏"})
    assert (await receive_type(kofi, "reaction"))["op"] == "remove"
    await drain(grace)
    await grace.send_json_to({"type": "reaction.add", "message_id": 999999, "emoji": "🙏"})
    assert (await receive_type(grace, "error"))["code"] == "not_found"


async def test_replies_point_at_a_message_of_the_same_room(join, harambee, demo):
    kofi, _ = await join("kofi", harambee)
    await send(kofi, "question?")
    question = (await receive_type(kofi, "message.new"))["message"]
    await send(kofi, "answer", reply_to=question["id"])
    assert (await receive_type(kofi, "message.new"))["message"]["reply_to"] == question["id"]

    camila, _ = await join("camila", f"/ws/circles/{demo['circles'][0]['id']}/")
    frame = await send(camila, "sneaky reply", reply_to=question["id"])
    error = await receive_type(camila, "error")
    assert (error["code"], error["client_id"]) == ("not_found", frame["client_id"])


async def test_the_author_edits_and_the_old_text_is_kept(join, harambee):
    kofi, _ = await join("kofi", harambee)
    grace, _ = await join("grace", harambee)
    await send(kofi, "frist")
    message = (await receive_type(kofi, "message.new"))["message"]
    await receive_type(grace, "message.new")
    await kofi.send_json_to({"type": "message.edit", "message_id": message["id"], "body": "first"})
    updated = (await receive_type(grace, "message.updated"))["message"]
    assert (updated["id"], updated["seq"], updated["body"]) == (message["id"], 1, "first")
    assert updated["edited_at"].endswith("Z")
    history = await database_sync_to_async(list)(MessageEdit.objects.values_list("body", flat=True))
    assert history == ["frist"]
    await grace.send_json_to({"type": "message.edit", "message_id": message["id"], "body": "mine"})
    assert (await receive_type(grace, "error"))["code"] == "forbidden"


async def test_edits_close_after_the_window(join, harambee, settings):
    kofi, _ = await join("kofi", harambee)
    await send(kofi, "old news")
    message = (await receive_type(kofi, "message.new"))["message"]
    await database_sync_to_async(Message.objects.filter(pk=message["id"]).update)(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    await kofi.send_json_to({"type": "message.edit", "message_id": message["id"], "body": "new news"})
    error = await receive_type(kofi, "error")
    assert error["code"] == "forbidden"
    assert "15 minutes" in error["detail"]


async def test_the_author_or_the_coach_deletes_leaving_a_tombstone(join, harambee):
    kofi, _ = await join("kofi", harambee)
    grace, _ = await join("grace", harambee)
    coach, _ = await join("amani.coach", harambee)
    await send(kofi, "one")
    first = (await receive_type(kofi, "message.new"))["message"]
    await send(kofi, "two")
    second = (await receive_type(kofi, "message.new"))["message"]
    await drain(grace)
    await drain(coach)

    await grace.send_json_to({"type": "message.delete", "message_id": first["id"]})
    assert (await receive_type(grace, "error"))["code"] == "forbidden"

    await kofi.send_json_to({"type": "message.delete", "message_id": first["id"]})
    tombstone = (await receive_type(grace, "message.updated"))["message"]
    assert (
        tombstone["id"],
        tombstone["seq"],
        tombstone["deleted"],
        tombstone["body"],
        tombstone["html"],
    ) == (first["id"], 1, True, "", "")
    await coach.send_json_to({"type": "message.delete", "message_id": second["id"]})
    assert (await receive_type(grace, "message.updated"))["message"]["deleted"] is True

    await grace.send_json_to({"type": "sync", "after_seq": 0})
    replay = [(await receive_type(grace, "message.new"))["message"] for _ in range(2)]
    assert [m.get("deleted") for m in replay] == [True, True]


async def test_presence_follows_sockets_coming_and_going(join, harambee):
    kofi, hello = await join("kofi", harambee)
    grace, grace_hello = await join("grace", harambee)
    assert grace_hello["online"] == sorted([hello["user"], grace_hello["user"]])
    joined = await receive_type(kofi, "presence")
    assert joined["online"] == sorted([hello["user"], grace_hello["user"]])
    await grace.disconnect()
    assert (await receive_type(kofi, "presence"))["online"] == [hello["user"]]


async def test_ping_answers_pong(join, harambee):
    kofi, _ = await join("kofi", harambee)
    await kofi.send_json_to({"type": "ping"})
    assert await receive_type(kofi, "pong") == {"type": "pong"}


async def test_sending_too_fast_is_rate_limited_and_nothing_inside_the_limit_is_lost(
    join, harambee, settings
):
    settings.CHAT_RATE_LIMIT_MESSAGES = 3
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    kofi, _ = await join("kofi", harambee)
    for i in range(3):
        await send(kofi, f"ok {i}")
        await receive_type(kofi, "message.new")
    frame = await send(kofi, "too many")
    error = await receive_type(kofi, "error")
    assert (error["code"], error["client_id"]) == ("rate_limited", frame["client_id"])
    assert 1 <= error["retry_after"] <= 60
    bodies = await database_sync_to_async(list)(
        Message.objects.order_by("seq").values_list("body", flat=True)
    )
    assert bodies == ["ok 0", "ok 1", "ok 2"]


async def test_a_muted_member_hears_until_when(join, harambee):
    kofi, _ = await join("kofi", harambee)

    def mute():
        room = Room.objects.get()
        mute_member(
            user=User.objects.get(username="amani.coach"),
            room=room,
            member=User.objects.get(username="kofi"),
            minutes=30,
        )

    await database_sync_to_async(mute)()
    await send(kofi, "can I speak?")
    error = await receive_type(kofi, "error")
    assert error["code"] == "forbidden"
    assert "paused your messages" in error["detail"]


async def test_an_unexpected_failure_answers_server_error_and_keeps_the_socket(join, harambee, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(writer, "answer_sends", broken)
    kofi, _ = await join("kofi", harambee)
    await send(kofi, "hello?")
    error = await receive_type(kofi, "error")
    assert error["code"] == "server_error"
    assert "fire" not in error["detail"]
    await kofi.send_json_to({"type": "ping"})
    await receive_type(kofi, "pong")


async def test_the_stored_html_is_what_everyone_sees(join, harambee):
    kofi, _ = await join("kofi", harambee)
    await send(kofi, "<img src=x onerror=alert(1)> [x](javascript:alert(1))")
    message = (await receive_type(kofi, "message.new"))["message"]
    assert "<img" not in message["html"]
    assert "<a" not in message["html"]  # the javascript: link is dropped; its text stays as text
    assert "href" not in message["html"]
    assert message["body"] == "<img src=x onerror=alert(1)> [x](javascript:alert(1))"
    stored = await database_sync_to_async(Message.objects.get)()
    assert stored.html == message["html"]
    assert json.dumps(message)  # the frame is plain JSON


async def test_reacting_to_a_deleted_message_is_forbidden_not_a_crash(join, harambee):
    kofi, _ = await join("kofi", harambee)
    await send(kofi, "soon gone")
    message = (await receive_type(kofi, "message.new"))["message"]
    await kofi.send_json_to({"type": "message.delete", "message_id": message["id"]})
    await receive_type(kofi, "message.updated")
    await kofi.send_json_to({"type": "reaction.add", "message_id": message["id"], "emoji": "👍"})
    error = await receive_type(kofi, "error")
    assert error["code"] == "forbidden"
    assert error["detail"] == "This message was deleted."


async def test_a_hidden_message_keeps_its_place_but_not_its_text_everywhere(join, harambee):
    from chat.services import hide_message

    kofi, _ = await join("kofi", harambee)
    grace, _ = await join("grace", harambee)
    await send(kofi, "something the coach hides")
    message = (await receive_type(kofi, "message.new"))["message"]
    await receive_type(grace, "message.new")

    def hide():
        hide_message(
            user=User.objects.get(username="amani.coach"), room=Room.objects.get(), message_id=message["id"]
        )

    await database_sync_to_async(hide)()
    hidden = (await receive_type(grace, "message.updated"))["message"]
    assert (hidden["hidden"], hidden["body"], hidden["html"], hidden["seq"]) == (True, "", "", 1)
    await grace.send_json_to({"type": "sync", "after_seq": 0})
    replayed = (await receive_type(grace, "message.new"))["message"]
    assert (replayed["hidden"], replayed["body"], replayed["html"]) == (True, "", "")


# --- Text the database cannot carry (coaching.lib.text) ------------------------------------------------


@pytest.mark.parametrize("body", ["nul\x00byte", "bell\x07ring", "lone \ud800 surrogate"])
async def test_a_body_with_control_characters_is_refused_nothing_stored_socket_open(join, harambee, body):
    kofi, _ = await join("kofi", harambee)
    refused = await send(kofi, body)
    error = await receive_type(kofi, "error")
    assert error == {
        "type": "error",
        "code": "invalid_frame",
        "detail": "This text cannot contain control characters.",
        "client_id": refused["client_id"],
    }
    await send(kofi, "line one\r\nline two")  # the same socket still sends; \r\n is kept as one \n
    assert (await receive_type(kofi, "message.new"))["message"]["body"] == "line one\nline two"
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_an_edit_or_a_reaction_with_a_nul_is_refused_and_changes_nothing(join, harambee):
    kofi, _ = await join("kofi", harambee)
    await send(kofi, "thanks all")
    message = (await receive_type(kofi, "message.new"))["message"]
    for frame in (
        {"type": "message.edit", "message_id": message["id"], "body": "edited\x00"},
        {"type": "reaction.add", "message_id": message["id"], "emoji": "\x00"},
        {"type": "reaction.add", "message_id": message["id"], "emoji": "🙏\n"},
    ):
        await kofi.send_json_to(frame)
        error = await receive_type(kofi, "error")
        assert error["code"] == "invalid_frame", frame
        assert error["detail"] in (
            "This text cannot contain control characters.",
            "This text must be one line.",
        )
    await kofi.send_json_to({"type": "ping"})
    assert (await receive_type(kofi, "pong"))["type"] == "pong"
    stored = await database_sync_to_async(Message.objects.get)()
    assert stored.body == "thanks all"
    assert await database_sync_to_async(stored.reactions.count)() == 0
