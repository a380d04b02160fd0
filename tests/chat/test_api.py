"""The history API: keyset pages of a circle or a thread, for the people of the room only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from chat import services, threads
from chat.access import access_room
from chat.models import Message, Room, Thread
from circles import services as circle_services
from circles.models import Circle
from coaching.accounts.models import User
from tests.chat.conftest import post
from tests.circles.conftest import World, world  # noqa: F401 - the fixture the chat fixture builds on


@dataclass
class Chat:
    """Alpha with its coach, two members who accepted the charter and one who has not; Beta next door."""

    world: World
    circle: Circle
    room: Room
    coach: User
    members: list[User]
    newcomer: User
    neighbour: User
    neighbour_room: Room


@pytest.fixture(name="chat")
def chat_fixture(world: World) -> Chat:  # noqa: F811 - `world` is the imported fixture
    m0, m1, m2, m3, _ = world.members
    for member in (m0, m1, m2):
        circle_services.assign_member(actor=world.admin, circle=world.circle, member=member)
    circle_services.assign_member(actor=world.admin, circle=world.second, member=m3)
    for member, circle in ((m0, world.circle), (m1, world.circle), (m3, world.second)):
        circle_services.accept_charter(user=member, circle=circle)
    return Chat(
        world=world,
        circle=world.circle,
        room=access_room(world.coach, world.circle.pk),
        coach=world.coach,
        members=[m0, m1],
        newcomer=m2,
        neighbour=m3,
        neighbour_room=access_room(m3, world.second.pk),
    )


def say(author: User, room: Room, body: str, **extra) -> Message:
    """Post through the real write path, as a socket would."""
    return post(author, room, body, **extra).message


def open_thread(coach: User, member: User) -> Thread:
    return threads.open_thread(coach=coach, member=member)


def history(client: Client, user: User | None, circle_id: int, **params):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(f"/api/circles/{circle_id}/messages/", params)


def seqs(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [m["seq"] for m in response.json()["messages"]]


@pytest.fixture
def five(chat: Chat) -> Chat:
    for n in range(1, 6):
        say(chat.members[n % 2], chat.room, f"message {n}")
    return chat


def test_it_serves_the_newest_page_when_no_seq_is_given(client, five):
    response = history(client, five.members[0], five.circle.pk, limit=2)
    assert seqs(response) == [4, 5]
    assert response.json()["has_more"] is True
    everything = history(client, five.members[0], five.circle.pk)
    assert seqs(everything) == [1, 2, 3, 4, 5]
    assert everything.json()["has_more"] is False


def test_it_pages_forward_after_a_seq(client, five):
    member, circle = five.members[0], five.circle.pk
    cases = [
        ({"after_seq": 0, "limit": 2}, [1, 2], True),
        ({"after_seq": 2, "limit": 3}, [3, 4, 5], False),  # exactly the rest: nothing more
        ({"after_seq": 3, "limit": 5}, [4, 5], False),
        ({"after_seq": 4, "limit": 1}, [5], False),
        ({"after_seq": 3, "limit": 1}, [4], True),
        ({"after_seq": 5}, [], False),
        ({"after_seq": 99}, [], False),
    ]
    for params, expected, more in cases:
        response = history(client, member, circle, **params)
        assert (seqs(response), response.json()["has_more"]) == (expected, more), params


def test_it_pages_backward_before_a_seq_oldest_first(client, five):
    member, circle = five.members[0], five.circle.pk
    cases = [
        ({"before_seq": 6, "limit": 5}, [1, 2, 3, 4, 5], False),
        ({"before_seq": 6, "limit": 4}, [2, 3, 4, 5], True),
        ({"before_seq": 4, "limit": 2}, [2, 3], True),
        ({"before_seq": 3, "limit": 2}, [1, 2], False),
        ({"before_seq": 2}, [1], False),
        ({"before_seq": 1}, [], False),
        ({"before_seq": 0}, [], False),
        ({"before_seq": 1000}, [1, 2, 3, 4, 5], False),
    ]
    for params, expected, more in cases:
        response = history(client, member, circle, **params)
        assert (seqs(response), response.json()["has_more"]) == (expected, more), params


def test_it_lets_a_client_scroll_back_through_the_whole_history_once(client, five):
    collected = []
    response = history(client, five.coach, five.circle.pk, limit=2)
    while True:
        page = seqs(response)
        collected = page + collected
        if not response.json()["has_more"]:
            break
        response = history(client, five.coach, five.circle.pk, before_seq=page[0], limit=2)
    assert collected == [1, 2, 3, 4, 5]


def test_it_gives_fifty_by_default_and_at_most_two_hundred(client, chat):
    for n in range(201):
        say(chat.members[0], chat.room, f"note {n}")
    member = chat.members[1]
    default = history(client, member, chat.circle.pk)
    assert seqs(default) == list(range(152, 202))
    assert default.json()["has_more"] is True
    widest = history(client, member, chat.circle.pk, limit=200)
    assert seqs(widest) == list(range(2, 202))
    assert widest.json()["has_more"] is True
    forward = history(client, member, chat.circle.pk, after_seq=1, limit=200)
    assert seqs(forward) == list(range(2, 202))
    assert forward.json()["has_more"] is False


def test_it_serves_messages_in_the_protocols_shape(client, chat):
    first = say(chat.members[0], chat.room, "Hola *todos*")
    say(chat.coach, chat.room, "Welcome", reply_to=first.pk)
    services.react(user=chat.members[1], room=chat.room, message_id=first.pk, emoji="👍", add=True)
    response = history(client, chat.members[1], chat.circle.pk)
    original, reply = response.json()["messages"]
    assert original["id"] == first.pk
    assert original["client_id"] == str(first.client_id)
    assert original["author"] == {"id": chat.members[0].pk, "username": "m0", "display_name": "M0"}
    assert original["body"] == "Hola *todos*"
    assert original["html"] == "<p>Hola <em>todos</em></p>"
    assert original["created_at"].endswith("Z")
    assert original["reactions"] == {"👍": [chat.members[1].pk]}
    assert reply["reply_to"] == first.pk
    assert reply["author"]["username"] == "coach"


def test_it_serves_deleted_and_hidden_messages_as_empty_placeholders(client, chat):
    gone = say(chat.members[0], chat.room, "I regret this")
    rude = say(chat.members[1], chat.room, "something rude")
    say(chat.members[0], chat.room, "still here")
    services.delete_message(user=chat.members[0], room=chat.room, message_id=gone.pk)
    services.hide_message(user=chat.coach, room=chat.room, message_id=rude.pk)
    for reader in (chat.members[0], chat.members[1], chat.coach):
        response = history(client, reader, chat.circle.pk)
        deleted, hidden, kept = response.json()["messages"]
        assert (deleted["seq"], deleted["deleted"], deleted["body"], deleted["html"]) == (1, True, "", "")
        assert (hidden["seq"], hidden["hidden"], hidden["body"], hidden["html"]) == (2, True, "", "")
        assert kept["body"] == "still here"
        assert b"something rude" not in response.content
        assert b"I regret this" not in response.content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after_seq=-1", "after_seq"),
        ("after_seq=abc", "after_seq"),
        ("after_seq=1.5", "after_seq"),
        ("after_seq=", "after_seq"),
        ("after_seq=%EF%BC%91", "after_seq"),  # a full-width digit one
        ("after_seq=1&after_seq=2", "after_seq"),
        ("before_seq=-3", "before_seq"),
        ("before_seq=%201", "before_seq"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-5", "limit"),
        ("limit=ten", "limit"),
        ("after_seq=1&before_seq=5", "after_seq"),
        ("after_seq=99999999999999999999999", "after_seq"),
    ],
)
def test_it_refuses_bad_parameters_with_400_and_a_sentence(client, chat, query, field):
    client.force_login(chat.members[0])
    response = client.get(f"/api/circles/{chat.circle.pk}/messages/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "invalid_frame"
    assert field in error["detail"]
    assert error["detail"].endswith(".")


def test_it_tells_why_when_both_directions_are_asked(client, chat):
    client.force_login(chat.members[0])
    response = client.get(f"/api/circles/{chat.circle.pk}/messages/", {"after_seq": 1, "before_seq": 5})
    assert response.json()["error"]["detail"] == "Ask for “after_seq” or “before_seq”, not both."


def test_it_is_never_cached(client, five):
    ok = history(client, five.members[0], five.circle.pk)
    refused = history(client, five.world.admin, five.circle.pk)
    bad = history(client, five.members[0], five.circle.pk, limit=0)
    for response in (ok, refused, bad):
        assert "no-store" in response["Cache-Control"]


def test_it_answers_reads_only(client, chat):
    client.force_login(chat.members[0])
    assert client.post(f"/api/circles/{chat.circle.pk}/messages/").status_code == 405


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coach", 200),
        ("member", 200),
        ("newcomer", 404),  # seated but has not accepted the charter
        ("neighbour", 404),  # a member of another circle of the same programme
        ("admin", 404),
        ("other_admin", 404),
        ("outsider", 404),
        ("other_coach", 404),
    ],
)
def test_only_the_circles_people_read_its_history(client, five, who, status):
    people = {
        "coach": five.coach,
        "member": five.members[0],
        "newcomer": five.newcomer,
        "neighbour": five.neighbour,
        "admin": five.world.admin,
        "other_admin": five.world.other_admin,
        "outsider": five.world.outsider,
        "other_coach": five.world.other_coach,
    }
    response = history(client, people[who], five.circle.pk)
    assert response.status_code == status
    if status == 404:
        assert response.json()["error"]["code"] == "not_found"
        assert b"message 1" not in response.content


def test_a_superuser_does_not_read_circles_either(client, five):
    boss = User.objects.create_superuser(username="boss", password="pw", email="boss@example.org")
    assert history(client, boss, five.circle.pk).status_code == 404


def test_an_anonymous_visitor_gets_401_json_not_a_redirect(client, five):
    response = history(client, None, five.circle.pk)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "forbidden"
    assert b"message 1" not in response.content


def test_a_removed_member_loses_the_history_at_once(client, five):
    member = five.members[0]
    assert history(client, member, five.circle.pk).status_code == 200
    circle_services.remove_member(
        actor=five.world.admin, circle=five.circle, member=member, reason="moved away"
    )
    response = history(client, member, five.circle.pk)
    assert response.status_code == 404
    assert b"message" not in response.content.replace(b'"error"', b"")


def test_a_circle_that_does_not_exist_is_404(client, chat):
    assert history(client, chat.members[0], 999_999).status_code == 404


def test_it_keeps_circles_apart(client, chat):
    say(chat.members[0], chat.room, "alpha only")
    say(chat.neighbour, chat.neighbour_room, "beta only")
    alpha = history(client, chat.members[0], chat.circle.pk)
    beta = history(client, chat.neighbour, chat.world.second.pk)
    assert [m["body"] for m in alpha.json()["messages"]] == ["alpha only"]
    assert [m["body"] for m in beta.json()["messages"]] == ["beta only"]


def test_a_threads_history_is_for_its_two_people_only(client, chat):
    member = chat.members[0]
    thread = open_thread(chat.coach, member)
    say(chat.coach, thread.room, "How are you doing?")
    say(member, thread.room, "Better, thanks")
    url = f"/api/threads/{thread.pk}/messages/"
    for person in (chat.coach, member):
        client.force_login(person)
        response = client.get(url, {"after_seq": 0})
        assert [m["body"] for m in response.json()["messages"]] == ["How are you doing?", "Better, thanks"]
        assert "no-store" in response["Cache-Control"]
    for person in (chat.members[1], chat.world.admin, chat.world.other_coach):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 404
        assert b"Better" not in response.content
    client.logout()
    assert client.get(url).status_code == 401
    client.force_login(chat.coach)
    assert client.get("/api/threads/999999/messages/").status_code == 404
    assert client.get(url, {"limit": 500}).status_code == 400
