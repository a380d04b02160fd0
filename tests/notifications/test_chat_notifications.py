"""Chat messages tell people: mentions, private messages and replies, to the room's own people only; reading
the room reads them."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db.models import QuerySet

from chat import tasks
from chat.access import access_room
from chat.models import Message, Room
from chat.services import hide_message, mark_read
from chat.threads import open_thread
from circles.models import Circle
from circles.services import remove_member
from coaching.accounts.models import User
from coaching.notifications import routing as notification_routing
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification
from coaching.notifications.services import mark_all_read
from tests.chat.conftest import post, receive_type, rooms

pytestmark = pytest.mark.django_db


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def harambee(demo) -> dict[str, Any]:
    circle = demo["circles"][1]
    assert circle["name"] == "Harambee"
    assert {"kofi", "grace", "james"} <= set(circle["members"])
    return circle


@pytest.fixture
def room(harambee) -> Room:
    return access_room(user(harambee["coach"]), harambee["id"])


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """The message ids the send path enqueued a notification task for (the task still runs)."""
    seen: list[int] = []
    real = tasks.notify_about_message

    def spy(message_id: int) -> Any:
        seen.append(message_id)
        return real(message_id)

    monkeypatch.setattr(tasks, "notify_about_message", spy)
    return seen


def about_messages() -> QuerySet[Notification]:
    """Notifications about chat messages (seating the demo tells people about their circles too)."""
    return Notification.objects.filter(dedupe_key__startswith="message:")


def told(username: str) -> list[tuple[str, str, str]]:
    return [
        (n.kind, n.actor.username if n.actor else "", n.snippet)
        for n in about_messages().filter(recipient__username=username).select_related("actor").order_by("id")
    ]


def test_it_tells_a_mentioned_member_with_the_text_and_a_link_to_the_exact_message(
    room, harambee, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = post(user("kofi"), room, "@grace can you **share** the deck?").message
    assert enqueued == [message.pk]
    (notification,) = about_messages().filter(recipient__username="grace")
    assert notification.kind == Kind.MENTION
    assert notification.actor == user("kofi")
    assert notification.snippet == "@grace can you share the deck?"
    assert notification.url == f"/circles/{harambee['id']}/#message-{message.pk}"
    assert notification.params == {"circle": "Harambee"}
    assert (notification.conversation, notification.position) == (f"room:{room.pk}", message.seq)
    assert notification.dedupe_key == f"message:{message.pk}:mention"
    assert told("kofi") == []  # the author is not told about their own message


def test_a_plain_circle_message_enqueues_nothing_and_tells_nobody(
    room, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(user("kofi"), room, "Launch checklist at 80%.")
        post(user("kofi"), room, "Write to me at kofi@example.org")  # an @ that names nobody
    assert enqueued == []
    assert not about_messages().exists()


def test_a_reply_tells_the_author_of_the_message_replied_to_once_even_when_also_mentioned(
    room, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question = post(user("grace"), room, "Who has the venue's number?").message
        post(user("kofi"), room, "I do, sending it now", reply_to=question.pk)
        post(user("james"), room, "@grace here it is too", reply_to=question.pk)
    assert told("grace") == [
        (Kind.REPLY, "kofi", "I do, sending it now"),
        (Kind.MENTION, "james", "@grace here it is too"),
    ]


def test_a_private_message_tells_the_other_person_of_the_thread_without_a_circle_name(
    harambee, django_capture_on_commit_callbacks
):
    thread = open_thread(coach=user(harambee["coach"]), member=user("grace"))
    with django_capture_on_commit_callbacks(execute=True):
        mine = post(user("grace"), thread.room, "Can we talk about my pricing?").message
        answer = post(user(harambee["coach"]), thread.room, "Sure, @grace, tomorrow at 9?").message
    (to_coach,) = about_messages().filter(recipient__username=harambee["coach"])
    assert (to_coach.kind, to_coach.params, to_coach.snippet) == (
        Kind.DIRECT_MESSAGE,
        {},
        "Can we talk about my pricing?",
    )
    assert to_coach.url == f"/threads/{thread.pk}/#message-{mine.pk}"
    # The member hears of the coach's answer once, as a private message, though it also mentions her.
    assert told("grace") == [(Kind.DIRECT_MESSAGE, harambee["coach"], "Sure, @grace, tomorrow at 9?")]
    assert about_messages().get(recipient__username="grace").url.endswith(f"#message-{answer.pk}")


def test_people_who_cannot_read_the_room_are_never_told_its_text(
    room, harambee, demo, django_capture_on_commit_callbacks
):
    admin = user(demo["admins"][0])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(user("kofi"), room, f"@grace @james @{admin.username} see the plan")
    # James leaves the circle before the worker gets to the message; the admin was never in the room.
    with django_capture_on_commit_callbacks(execute=True):
        remove_member(
            actor=admin, circle=Circle.objects.get(pk=harambee["id"]), member=user("james"), reason="moved"
        )
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert [n.recipient.username for n in about_messages().select_related("recipient")] == ["grace"]


def test_a_message_hidden_before_the_worker_runs_tells_nobody(
    room, harambee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = post(user("kofi"), room, "@grace something rude").message
    hide_message(user=user(harambee["coach"]), room=room, message_id=message.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert not about_messages().exists()
    Message.objects.filter(pk=message.pk).update(hidden_at=None, deleted_at=message.created_at)
    tasks.notify_about_message(message.pk)  # a deleted one neither
    assert not about_messages().exists()


def test_reading_the_room_up_to_the_message_reads_its_notification(room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(user("kofi"), room, "@grace first").message
        second = post(user("kofi"), room, "@grace second").message
    grace = user("grace")
    mark_read(user=grace, room=room, seq=first.seq)
    unread = about_messages().filter(recipient=grace, read_at__isnull=True)
    assert list(unread.values_list("position", flat=True)) == [second.seq]
    mark_read(user=grace, room=room, seq=second.seq)
    assert not unread.exists()


@pytest.mark.django_db(transaction=True)
async def test_the_bell_count_drops_live_when_the_room_is_read(demo):
    circle = demo["circles"][1]
    grace = await database_sync_to_async(user)("grace")
    await database_sync_to_async(mark_all_read)(user=grace)  # seating her told her about her circle
    room = await database_sync_to_async(access_room)(grace, circle["id"])
    bell = WebsocketCommunicator(URLRouter(notification_routing.websocket_urlpatterns), "/ws/me/")
    bell.scope["user"] = grace
    assert (await bell.connect())[0]
    try:
        assert await bell.receive_json_from(timeout=2) == {"type": "notifications", "unread": 0}
        chat = WebsocketCommunicator(rooms, f"/ws/circles/{circle['id']}/")
        chat.scope["user"] = grace
        assert (await chat.connect())[0]
        await receive_type(chat, "hello")
        kofi = await database_sync_to_async(user)("kofi")
        sent = await database_sync_to_async(post)(kofi, room, "@grace are you coming at 6?")
        assert await bell.receive_json_from(timeout=5) == {"type": "notifications", "unread": 1}
        await receive_type(chat, "message.new")
        await chat.send_json_to({"type": "read", "seq": sent.message.seq})
        assert await bell.receive_json_from(timeout=5) == {"type": "notifications", "unread": 0}
        await chat.disconnect()
    finally:
        await bell.disconnect()


def test_someone_who_read_the_room_before_the_worker_ran_is_not_emailed_later(room):
    # The broadcast can reach Grace's open page, and her page read it, before the worker tells her.
    message = post(user("kofi"), room, "@grace are you there?").message
    mark_read(user=user("grace"), room=room, seq=message.seq)
    tasks.notify_about_message(message.pk)
    (told,) = about_messages().filter(recipient__username="grace")
    assert told.read_at is not None
