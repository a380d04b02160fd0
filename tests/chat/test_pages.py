"""Chat pages: the conversation UI on the circle page, 1:1 threads, starting one, and unread counts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from chat import access
from chat import services as chat
from chat.models import Room, Thread
from chat.threads import open_thread
from circles import services
from circles.models import Circle, Programme
from coaching.accounts.models import User
from coaching.lib.errors import ChatError
from tests.chat.conftest import post as post_one

pytestmark = pytest.mark.django_db


def person(username: str, zone: str = "Europe/Madrid") -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        display_name=username.title(),
        timezone=zone,
        languages=["en"],
        email=f"{username}@example.org",
    )


@dataclass
class Place:
    admin: User
    coach: User
    members: list[User]
    newcomer: User
    circle: Circle
    other_coach: User
    other_member: User
    other_circle: Circle


@pytest.fixture
def place(db: None) -> Place:
    admin = person("admin")
    programme = Programme.objects.create(name="Pilot", languages=["en"], default_circle_size=6)
    programme.admins.add(admin)
    coach, other_coach = person("coach", "Africa/Nairobi"), person("coach2")
    for c in (coach, other_coach):
        services.enrol(programme=programme, user=c, role="coach")
    circle = services.create_circle(
        actor=admin, programme=programme, name="Alpha", language="en", coach=coach
    )
    other_circle = services.create_circle(
        actor=admin, programme=programme, name="Beta", language="en", coach=other_coach
    )
    members = [person(name, zone) for name, zone in [("grace", "Africa/Nairobi"), ("kofi", "Africa/Accra")]]
    newcomer, other_member = person("newcomer"), person("other")
    for m, seat in [
        (members[0], circle),
        (members[1], circle),
        (newcomer, circle),
        (other_member, other_circle),
    ]:
        services.enrol(programme=programme, user=m, role="member")
        services.assign_member(actor=admin, circle=seat, member=m)
        if m is not newcomer:
            services.accept_charter(user=m, circle=seat)
    return Place(admin, coach, members, newcomer, circle, other_coach, other_member, other_circle)


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def script_json(page: str, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert match, f"no {element_id} in the page"
    return json.loads(match.group(1))


def post(room: Room, author: User, body: str) -> int:
    return post_one(author, room, body).message.pk


def circle_room(place: Place) -> Room:
    return access.access_room(place.coach, place.circle.pk)


# ------------------------------------------------------------------ the circle page


def test_it_shows_a_member_the_conversation_with_its_config_and_strings(place):
    grace = place.members[0]
    page = signed_in(grace).get(reverse("circle", args=[place.circle.pk])).content.decode()
    assert 'id="chat-composer"' in page
    assert 'aria-label="Messages"' in page
    assert "js/chat.js" in page
    assert "css/chat.css" in page
    config = script_json(page, "chat-config")
    assert config["socketPath"] == f"/ws/circles/{place.circle.pk}/"
    assert config["historyUrl"] == f"/api/circles/{place.circle.pk}/messages/"
    assert config["me"] == {"id": grace.pk, "username": "grace", "name": "Grace"}
    assert config["timeZone"] == "Africa/Nairobi"
    assert config["isCoach"] is False
    assert {p["username"] for p in config["people"]} == {"coach", "grace", "kofi", "newcomer"}
    assert [p["username"] for p in config["people"] if p["coach"]] == ["coach"]
    assert config["threadTargets"] == {"coach": grace.pk}  # a member may write to the coach only
    strings = script_json(page, "chat-strings")
    assert strings["closed_4403"] == "You no longer have access to this circle."
    assert strings["typing_one"] == "%(name)s is typing…"


def test_it_shows_the_coach_the_conversation_with_coach_rights(place):
    page = signed_in(place.coach).get(reverse("circle", args=[place.circle.pk])).content.decode()
    config = script_json(page, "chat-config")
    assert config["isCoach"] is True
    assert set(config["threadTargets"]) == {"grace", "kofi", "newcomer"}


def test_it_speaks_spanish_to_a_spanish_reader(place):
    grace = place.members[0]
    grace.ui_language = "es"
    grace.save(update_fields=["ui_language"])
    page = signed_in(grace).get(reverse("circle", args=[place.circle.pk])).content.decode()
    assert script_json(page, "chat-config")["language"] == "es"


def test_a_member_who_has_not_accepted_the_charter_sees_the_charter_and_no_chat(place):
    page = signed_in(place.newcomer).get(reverse("circle", args=[place.circle.pk])).content.decode()
    assert "I accept the charter" in page
    assert "chat-config" not in page
    assert "chat-composer" not in page


def test_the_config_carries_the_latest_messages_and_the_read_marker(place):
    room = circle_room(place)
    grace, kofi = place.members
    for n in range(55):
        post(room, grace if n % 2 else kofi, f"message {n + 1}")
    chat.mark_read(user=grace, room=room, seq=40)
    config = script_json(
        signed_in(grace).get(reverse("circle", args=[place.circle.pk])).content.decode(), "chat-config"
    )
    assert [m["seq"] for m in config["messages"]] == list(range(6, 56))
    assert config["messages"][-1]["body"] == "message 55"
    assert config["messages"][-1]["author"]["username"] == "kofi"
    assert config["hasMore"] is True
    assert config["readSeq"] == 40
    assert config["lastSeq"] == 55


def test_a_new_room_has_no_messages_and_nothing_older(place):
    config = script_json(
        signed_in(place.coach).get(reverse("circle", args=[place.circle.pk])).content.decode(), "chat-config"
    )
    assert config["messages"] == []
    assert config["hasMore"] is False
    assert config["readSeq"] == 0


def test_a_hostile_message_cannot_break_out_of_the_page_config(place):
    room = circle_room(place)
    post(
        room,
        place.members[0],
        '</script><script>window.__xss=1</script> <img src=x onerror="window.__xss=1">',
    )
    page = signed_in(place.members[1]).get(reverse("circle", args=[place.circle.pk])).content.decode()
    assert "<script>window.__xss" not in page
    assert "<img src=x" not in page
    message = script_json(page, "chat-config")["messages"][0]
    assert message["body"].startswith("</script><script>")  # the raw text survives, as data
    assert "<script" not in message["html"]
    assert "<img" not in message["html"]


def test_a_member_gets_search_and_report_urls_but_not_the_coachs_moderation(place):
    grace = place.members[0]
    page = signed_in(grace).get(reverse("circle", args=[place.circle.pk])).content.decode()
    config = script_json(page, "chat-config")
    circle_id = place.circle.pk
    assert config["searchUrl"] == reverse("circle_search", args=[circle_id])
    assert config["reportUrl"] == f"/circles/{circle_id}/messages/{{id}}/report/"
    assert config["hideUrl"] is None
    assert config["muteUrl"] is None
    assert "/hide/" not in page
    assert reverse("circle_mute_member", args=[circle_id]) not in page
    # The search box is a plain form to the search page; the CSRF token is there for the report posts.
    assert f'action="{reverse("circle_search", args=[circle_id])}"' in page
    assert 'placeholder="Search this circle"' in page
    assert re.search(r'data-csrf="[A-Za-z0-9]{32,}"', page)
    strings = script_json(page, "chat-strings")
    assert strings["reported"] == "Thank you, the programme's admins will look at it."
    assert strings["muted_until"] == "muted until %(time)s"


def test_the_coach_gets_hide_and_mute_urls_for_their_circle(place):
    page = signed_in(place.coach).get(reverse("circle", args=[place.circle.pk])).content.decode()
    config = script_json(page, "chat-config")
    circle_id = place.circle.pk
    assert config["reportUrl"] == f"/circles/{circle_id}/messages/{{id}}/report/"
    assert config["hideUrl"] == f"/circles/{circle_id}/messages/{{id}}/hide/"
    assert config["muteUrl"] == reverse("circle_mute_member", args=[circle_id])
    # The template URLs are real routes once the client puts a message id in.
    message_id = post(circle_room(place), place.members[1], "too much")
    hide = signed_in(place.coach).post(
        config["hideUrl"].replace("{id}", str(message_id)), HTTP_ACCEPT="application/json"
    )
    assert hide.json() == {"ok": True}


def test_the_programme_admin_gets_no_conversation_and_no_moderation_urls(place):
    response = signed_in(place.admin).get(reverse("circle", args=[place.circle.pk]))
    page = response.content.decode()
    assert "chat-config" not in page
    assert "chat-search" not in page
    assert f"/circles/{place.circle.pk}/mute/" not in page


# ------------------------------------------------------------------ threads


def test_open_thread_creates_one_thread_with_its_room_and_reuses_it(place):
    grace = place.members[0]
    thread = open_thread(coach=place.coach, member=grace)
    assert thread.room.kind == Room.Kind.THREAD
    assert thread.room.key == f"thread:{thread.pk}"
    assert open_thread(coach=place.coach, member=grace).pk == thread.pk
    assert Thread.objects.count() == 1


@pytest.mark.parametrize("pair", ["other_coach", "member_as_coach", "member_who_left", "self"])
def test_open_thread_refuses_people_the_coach_does_not_coach(place, pair):
    grace, kofi = place.members
    coach, member = {
        "other_coach": (place.other_coach, grace),
        "member_as_coach": (kofi, grace),
        "member_who_left": (place.coach, grace),
        "self": (place.coach, place.coach),
    }[pair]
    if pair == "member_who_left":
        services.remove_member(actor=place.admin, circle=place.circle, member=grace, reason="moved away")
    with pytest.raises(ChatError):
        open_thread(coach=coach, member=member)
    assert not Thread.objects.exists()


def test_the_coach_starts_a_thread_with_a_member_and_lands_on_it(place):
    grace = place.members[0]
    url = reverse("chat_start_thread", args=[place.circle.pk])
    response = signed_in(place.coach).post(url, {"member": grace.pk})
    thread = Thread.objects.get()
    assert (thread.coach, thread.member) == (place.coach, grace)
    assert response.status_code == 302
    assert response["Location"] == reverse("chat_thread", args=[thread.pk])
    signed_in(place.coach).post(url, {"member": grace.pk})
    assert Thread.objects.count() == 1


def test_a_member_starts_the_thread_with_their_coach_and_finds_the_same_one(place):
    grace = place.members[0]
    first = open_thread(coach=place.coach, member=grace)
    response = signed_in(grace).post(reverse("chat_start_thread", args=[place.circle.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("chat_thread", args=[first.pk])
    assert Thread.objects.count() == 1


@pytest.mark.parametrize(
    "who",
    ["member_for_another_member", "other_circles_coach", "admin", "coach_for_outsider", "coach_for_garbage"],
)
def test_nobody_else_starts_a_thread(place, who):
    grace, kofi = place.members
    actor, member = {
        "member_for_another_member": (kofi, grace.pk),
        "other_circles_coach": (place.other_coach, grace.pk),
        "admin": (place.admin, grace.pk),
        "coach_for_outsider": (place.coach, place.other_member.pk),
        "coach_for_garbage": (place.coach, "x"),
    }[who]
    response = signed_in(actor).post(reverse("chat_start_thread", args=[place.circle.pk]), {"member": member})
    assert response.status_code == 404
    assert not Thread.objects.exists()


def test_starting_a_thread_needs_a_signed_in_post(place):
    url = reverse("chat_start_thread", args=[place.circle.pk])
    anonymous = signed_in(None).post(url, {"member": place.members[0].pk})
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert signed_in(place.coach).get(url).status_code == 405
    assert not Thread.objects.exists()


@pytest.mark.parametrize("who", ["coach", "member"])
def test_the_two_people_of_a_thread_see_its_conversation(place, who):
    grace = place.members[0]
    thread = open_thread(coach=place.coach, member=grace)
    post(thread.room, place.coach, "How did the interview go?")
    viewer = place.coach if who == "coach" else grace
    response = signed_in(viewer).get(reverse("chat_thread", args=[thread.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    config = script_json(page, "chat-config")
    assert config["socketPath"] == f"/ws/threads/{thread.pk}/"
    assert config["historyUrl"] == f"/api/threads/{thread.pk}/messages/"
    assert config["room"] == f"thread:{thread.pk}"
    assert [m["body"] for m in config["messages"]] == ["How did the interview go?"]
    assert {p["username"] for p in config["people"]} == {"coach", "grace"}
    assert config["isCoach"] is (who == "coach")
    assert "Nairobi (Kenya)" in page  # each person's local time, and where they are
    assert (
        script_json(page, "chat-strings")["closed_4403"] == "You no longer have access to this conversation."
    )
    # Threads have no search and no moderation: those are the circle's.
    assert [config[key] for key in ("searchUrl", "reportUrl", "hideUrl", "muteUrl")] == [None] * 4
    assert "chat-search" not in page


@pytest.mark.parametrize("who", ["other_member", "other_circles_coach", "admin", "outsider_of_the_circle"])
def test_anyone_else_gets_404_for_a_thread(place, who):
    grace, kofi = place.members
    thread = open_thread(coach=place.coach, member=grace)
    viewer = {
        "other_member": kofi,
        "other_circles_coach": place.other_coach,
        "admin": place.admin,
        "outsider_of_the_circle": place.other_member,
    }[who]
    response = signed_in(viewer).get(reverse("chat_thread", args=[thread.pk]))
    assert response.status_code == 404
    assert "chat-config" not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in_for_a_thread(place):
    thread = open_thread(coach=place.coach, member=place.members[0])
    response = signed_in(None).get(reverse("chat_thread", args=[thread.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert signed_in(place.coach).get(reverse("chat_thread", args=[thread.pk + 99])).status_code == 404


# ------------------------------------------------------------------ unread counts


def test_unread_counts_messages_by_others_after_the_read_marker(place):
    grace, kofi = place.members
    room = circle_room(place)
    for n in range(3):
        post(room, kofi, f"hello {n}")
    post(room, grace, "my own words do not count")
    deleted = post(room, kofi, "oops")
    chat.delete_message(user=kofi, room=room, message_id=deleted)
    thread = open_thread(coach=place.coach, member=grace)
    post(thread.room, place.coach, "a private word")
    key = str(place.circle.pk)

    data = signed_in(grace).get(reverse("chat_unread")).json()
    assert data == {"circles": {key: 3}, "threads": {str(thread.pk): 1}}

    chat.mark_read(user=grace, room=room, seq=2)
    assert signed_in(grace).get(reverse("chat_unread")).json()["circles"][key] == 1
    assert signed_in(kofi).get(reverse("chat_unread")).json() == {"circles": {key: 1}, "threads": {}}
    assert signed_in(place.coach).get(reverse("chat_unread")).json() == {
        "circles": {key: 4},
        "threads": {str(thread.pk): 0},
    }


def test_unread_counts_only_the_persons_own_rooms(place):
    grace = place.members[0]
    room = circle_room(place)
    post(room, grace, "inside Alpha")
    thread = open_thread(coach=place.coach, member=grace)
    post(thread.room, place.coach, "private")
    assert signed_in(place.other_member).get(reverse("chat_unread")).json() == {
        "circles": {str(place.other_circle.pk): 0},
        "threads": {},
    }
    assert signed_in(place.admin).get(reverse("chat_unread")).json() == {"circles": {}, "threads": {}}
    # Before the charter there is no conversation to count.
    assert signed_in(place.newcomer).get(reverse("chat_unread")).json() == {"circles": {}, "threads": {}}


def test_unread_answers_401_to_anonymous_visitors_and_is_never_cached(place):
    response = signed_in(None).get(reverse("chat_unread"))
    assert response.status_code == 401
    response = signed_in(place.coach).get(reverse("chat_unread"))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_home_page_has_unread_badges_threads_and_a_way_to_write_to_the_coach(place):
    grace = place.members[0]
    thread = open_thread(coach=place.coach, member=grace)
    page = signed_in(grace).get(reverse("home")).content.decode()
    assert f'data-unread-url="{reverse("chat_unread")}"' in page
    assert f'data-unread-circle="{place.circle.pk}"' in page
    assert f'data-unread-thread="{thread.pk}"' in page
    assert reverse("chat_thread", args=[thread.pk]) in page
    assert "Message Coach privately" in page
    assert reverse("chat_start_thread", args=[place.circle.pk]) in page
    coach_page = signed_in(place.coach).get(reverse("home")).content.decode()
    assert "a member you coach" in coach_page
    assert "privately</button>" not in coach_page
