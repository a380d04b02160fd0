"""The bell and the notifications page: counts, sentences in the reader's language, opening, denials."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from coaching.accounts.models import User
from coaching.notifications import routing
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification
from coaching.notifications.services import notify


def person(username: str, language: str = "en") -> User:
    return User.objects.create_user(
        username=username, password="pw", display_name=username.title(), ui_language=language
    )


def tell(recipient: User, actor: User, n: int = 1) -> Notification:
    told = notify(
        recipient=recipient,
        kind=Kind.MENTION,
        actor=actor,
        url=f"/circles/1/#message-{n}",
        dedupe_key=f"message:{n}",
        params={"circle": "Harambee"},
        snippet="see you at 6?",
        conversation="room:1",
        position=n,
    )
    assert told is not None
    return told


@pytest.mark.django_db
def test_the_bell_counts_unread_and_the_page_says_who_did_what(client):
    kofi, grace = person("kofi"), person("grace")
    tell(grace, kofi, 1)
    tell(grace, kofi, 2)
    client.force_login(grace)
    page = client.get(reverse("notifications")).content.decode()
    assert page.count("Kofi mentioned you in Harambee") == 2
    assert "see you at 6?" in page
    bell = page[page.index("data-bell-count") :]
    assert bell[: bell.index("</a>")].endswith('<span class="visually-hidden">unread: </span>2</span>\n')


@pytest.mark.django_db
def test_the_page_speaks_the_readers_language(client):
    kofi, grace = person("kofi"), person("grace", "es")
    tell(grace, kofi)
    client.force_login(grace)
    page = client.get(reverse("notifications")).content.decode()
    assert "Kofi te mencionó en Harambee" in page


@pytest.mark.django_db
def test_opening_one_marks_it_read_and_follows_its_link_but_not_someone_elses(client):
    kofi, grace = person("kofi"), person("grace")
    told = tell(grace, kofi)
    client.force_login(kofi)
    assert client.post(reverse("notification_open", args=[told.pk])).status_code == 404
    client.force_login(grace)
    response = client.post(reverse("notification_open", args=[told.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/circles/1/#message-1"
    told.refresh_from_db()
    assert told.read_at is not None
    assert client.get(reverse("notifications_unread")).json() == {"unread": 0}


@pytest.mark.django_db
def test_mark_all_read_and_signed_out_people_are_sent_to_sign_in(client):
    kofi, grace = person("kofi"), person("grace")
    tell(grace, kofi, 1)
    tell(grace, kofi, 2)
    assert client.get(reverse("notifications")).status_code == 302
    client.force_login(grace)
    client.post(reverse("notifications_read_all"))
    assert client.get(reverse("notifications_unread")).json() == {"unread": 0}


@pytest.mark.django_db(transaction=True)
async def test_the_persons_socket_gets_the_count_at_once_and_again_when_it_changes():
    kofi, grace = await database_sync_to_async(person)("kofi"), await database_sync_to_async(person)("grace")
    socket = WebsocketCommunicator(URLRouter(routing.websocket_urlpatterns), "/ws/me/")
    socket.scope["user"] = grace
    connected, _ = await socket.connect()
    assert connected
    try:
        assert await socket.receive_json_from(timeout=2) == {"type": "notifications", "unread": 0}
        await database_sync_to_async(tell)(grace, kofi)
        assert await socket.receive_json_from(timeout=2) == {"type": "notifications", "unread": 1}
    finally:
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_signed_out_socket_is_closed_with_4401():
    from django.contrib.auth.models import AnonymousUser

    socket = WebsocketCommunicator(URLRouter(routing.websocket_urlpatterns), "/ws/me/")
    socket.scope["user"] = AnonymousUser()
    await socket.connect()
    assert (await socket.receive_output(timeout=2))["code"] == 4401
