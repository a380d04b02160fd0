"""Who gets into a room, and who is cut off: refusals before any frame, revocation within 2 seconds."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from chat.models import Room, Thread
from circles import services as circles_services
from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.asgi import application
from tests.chat.conftest import new_id, receive_type, rooms

pytestmark = pytest.mark.django_db(transaction=True)


async def refused_with(path: str, user, *, app=rooms, headers=None) -> int:
    socket = WebsocketCommunicator(app, path, headers=headers or [])
    if user is not None:
        socket.scope["user"] = user
    connected, _ = await socket.connect()
    if not connected:
        return 403  # the handshake itself was rejected
    output = await socket.receive_output(timeout=2)
    assert output["type"] == "websocket.close", output  # no frame before the close
    await socket.disconnect()
    return int(output["code"])


async def get_user(username: str) -> User:
    return await database_sync_to_async(User.objects.get)(username=username)


@pytest.fixture
def harambee(demo) -> int:
    return int(demo["circles"][1]["id"])


async def signed_in_cookie(client, username: str) -> bytes:
    await database_sync_to_async(client.force_login)(await get_user(username))
    return f"csrftoken=abc; sessionid={client.cookies['sessionid'].value}; theme=dark".encode()


async def through_the_real_stack(path: str, cookie: bytes) -> int:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
    return await refused_with(path, None, app=application, headers=headers)


async def test_an_anonymous_visitor_is_refused_with_4401(harambee):
    code = await refused_with(f"/ws/circles/{harambee}/", AnonymousUser())
    assert code == 4401


async def test_an_anonymous_socket_through_the_real_stack_is_refused(harambee):
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    assert await refused_with(f"/ws/circles/{harambee}/", None, app=application, headers=headers) == 4401


async def test_a_signed_in_person_through_the_real_stack_gets_in(harambee, client):
    cookie = await signed_in_cookie(client, "kofi")  # the session cookie among others
    socket = WebsocketCommunicator(
        application,
        f"/ws/circles/{harambee}/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)],
    )
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from())["type"] == "hello"
    await socket.disconnect()


async def test_a_session_from_before_a_password_change_no_longer_opens_a_socket(harambee, client):
    cookie = await signed_in_cookie(client, "kofi")

    def change_password() -> None:
        kofi = User.objects.get(username="kofi")
        kofi.set_password("a new passphrase 42")
        kofi.save()

    await database_sync_to_async(change_password)()
    assert await through_the_real_stack(f"/ws/circles/{harambee}/", cookie) == 4401


async def test_a_signed_out_session_no_longer_opens_a_socket(harambee, client):
    cookie = await signed_in_cookie(client, "kofi")
    await database_sync_to_async(client.logout)()
    assert await through_the_real_stack(f"/ws/circles/{harambee}/", cookie) == 4401


@pytest.mark.parametrize(
    "cookie", [b"sessionid=", b"sessionid=not-a-session", b"sessionid=\x00\xff;;==", b"=;"]
)
async def test_a_forged_or_empty_session_cookie_is_anonymous(harambee, cookie):
    assert await through_the_real_stack(f"/ws/circles/{harambee}/", cookie) == 4401


@pytest.mark.parametrize(
    ("username", "code"),
    [("camila", 4403), ("lucia.coach", 4403), ("ana.admin", 4403), ("aisha", 4403)],
)
async def test_people_outside_the_circle_are_refused_with_4403(harambee, username, code):
    assert await refused_with(f"/ws/circles/{harambee}/", await get_user(username)) == code


async def test_a_member_who_has_not_accepted_the_charter_is_refused(harambee):
    await database_sync_to_async(Membership.objects.filter(user__username="kofi").update)(
        charter_accepted_at=None
    )
    assert await refused_with(f"/ws/circles/{harambee}/", await get_user("kofi")) == 4403


async def test_a_room_that_does_not_exist(harambee):
    kofi = await get_user("kofi")
    assert await refused_with("/ws/circles/999999/", kofi) == 4403
    assert await refused_with("/ws/threads/999999/", kofi) == 4404


async def test_a_disabled_account_is_refused(harambee):
    kofi = await get_user("kofi")
    kofi.is_active = False
    assert await refused_with(f"/ws/circles/{harambee}/", kofi) == 4401


async def test_a_removed_member_is_cut_off_within_two_seconds_and_hears_nothing_more(join, harambee):
    kofi, _ = await join("kofi", f"/ws/circles/{harambee}/")
    grace, _ = await join("grace", f"/ws/circles/{harambee}/")

    def remove_kofi():
        circle = Circle.objects.get(pk=harambee)
        circles_services.remove_member(
            actor=User.objects.get(username="ana.admin"),
            circle=circle,
            member=User.objects.get(username="kofi"),
            reason="left the programme",
        )

    started = time.monotonic()
    await database_sync_to_async(remove_kofi)()
    while True:
        output = await kofi.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            break
        assert output["type"] == "websocket.send"
        assert '"presence"' in output["text"] or '"typing"' in output["text"], output
    assert output["code"] == 4403
    assert time.monotonic() - started < 2

    await grace.send_json_to({"type": "message.send", "client_id": new_id(), "body": "after kofi left"})
    await receive_type(grace, "message.new")
    assert await kofi.receive_nothing(timeout=0.5)
    assert await refused_with(f"/ws/circles/{harambee}/", await get_user("kofi")) == 4403


async def test_disabling_an_account_closes_its_sockets(join, harambee):
    kofi, _ = await join("kofi", f"/ws/circles/{harambee}/")

    def disable():
        user = User.objects.get(username="kofi")
        user.is_active = False
        user.save()

    await database_sync_to_async(disable)()
    output = await kofi.receive_output(timeout=2)
    while output["type"] != "websocket.close":
        output = await kofi.receive_output(timeout=2)
    assert output["code"] == 4403


async def test_moving_a_member_cuts_the_old_room_only(join, harambee, demo):
    kofi, _ = await join("kofi", f"/ws/circles/{harambee}/")
    puentes = demo["circles"][0]["id"]

    def move():
        circles_services.move_member(
            actor=User.objects.get(username="ana.admin"),
            member=User.objects.get(username="camila"),
            from_circle=Circle.objects.get(pk=puentes),
            to_circle=Circle.objects.get(pk=harambee),
            reason="time zone",
        )

    camila, _ = await join("camila", f"/ws/circles/{puentes}/")
    await database_sync_to_async(move)()
    output = await camila.receive_output(timeout=2)
    while output["type"] != "websocket.close":
        output = await camila.receive_output(timeout=2)
    assert output["code"] == 4403
    await asyncio.sleep(0.2)
    await kofi.send_json_to({"type": "ping"})
    await receive_type(kofi, "pong")


async def test_a_thread_is_for_its_two_people_only(join, harambee):
    def open_thread() -> int:
        room = Room.objects.create(kind=Room.Kind.THREAD)
        thread = Thread.objects.create(
            room=room,
            coach=User.objects.get(username="amani.coach"),
            member=User.objects.get(username="kofi"),
        )
        return thread.pk

    thread_id = await database_sync_to_async(open_thread)()
    coach, hello = await join("amani.coach", f"/ws/threads/{thread_id}/")
    assert hello["room"] == f"thread:{thread_id}"
    kofi, _ = await join("kofi", f"/ws/threads/{thread_id}/")
    await kofi.send_json_to({"type": "message.send", "client_id": new_id(), "body": "a private question"})
    assert (await receive_type(coach, "message.new"))["message"]["body"] == "a private question"
    assert await refused_with(f"/ws/threads/{thread_id}/", await get_user("grace")) == 4403
    assert await refused_with(f"/ws/threads/{thread_id}/", AnonymousUser()) == 4401
