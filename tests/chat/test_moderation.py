"""Moderation: members report, admins see only what was reported, the coach hides and mutes."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from chat import services
from chat.groups import room_group
from chat.models import Mute, Report
from circles import services as circle_services
from coaching.lib import realtime
from coaching.lib.errors import ChatError
from tests.chat.test_api import chat_fixture, open_thread, say  # noqa: F401 - fixtures shared with the API tests
from tests.circles.conftest import world  # noqa: F401

JSON = {"HTTP_ACCEPT": "application/json"}


def as_user(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def report(client, user, circle_id: int, message_id: int, reason: str = "", **headers):
    return as_user(client, user).post(
        f"/circles/{circle_id}/messages/{message_id}/report/", {"reason": reason}, **(headers or JSON)
    )


def reports_page(client, user, programme_id: int):
    return as_user(client, user).get(f"/programmes/{programme_id}/reports/")


@pytest.fixture
def listener() -> Iterator[object]:
    """A socket in the room's group on an event loop of its own, as in a server process: what it hears."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    heard: queue.Queue[dict] = queue.Queue()

    class Socket:
        async def deliver(self, event: dict) -> None:
            heard.put(event)

    class Listener:
        def join(self, room) -> None:
            group = room_group(room.pk)
            asyncio.run_coroutine_threadsafe(realtime.join(group, Socket()), loop).result(timeout=5)

        def next_frame(self) -> dict:
            event = heard.get(timeout=2)
            assert event["type"] == "room.frame"
            return json.loads(event["text"])

    yield Listener()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)


# Reports


def test_it_lets_a_member_report_a_message_once(client, chat):
    message = say(chat.members[1], chat.room, "buy my course")
    first = report(client, chat.members[0], chat.circle.pk, message.pk, "selling")
    again = report(client, chat.members[0], chat.circle.pk, message.pk, "selling, again")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"ok": True}
    stored = Report.objects.get()
    assert (stored.text, stored.reason, stored.reporter, stored.status) == (
        "buy my course",
        "selling",
        chat.members[0],
        "open",
    )


def test_the_coach_can_report_too_and_htmx_gets_json(client, chat):
    message = say(chat.members[1], chat.room, "something off")
    response = report(client, chat.coach, chat.circle.pk, message.pk, HTTP_HX_REQUEST="true")
    assert response.json() == {"ok": True}
    assert Report.objects.get().reporter == chat.coach


def test_a_plain_form_post_goes_back_to_the_circle_with_thanks(client, chat):
    message = say(chat.members[1], chat.room, "hmm")
    response = report(client, chat.members[0], chat.circle.pk, message.pk, HTTP_ACCEPT="text/html")
    assert response.status_code == 302
    assert response["Location"] == f"/circles/{chat.circle.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "The programme&#x27;s admins will look at this message." in page


def test_a_form_post_may_name_where_to_go_back_but_only_on_this_site(client, chat):
    message = say(chat.members[1], chat.room, "hmm")
    url = f"/circles/{chat.circle.pk}/messages/{message.pk}/report/"
    as_user(client, chat.members[0])
    here = client.post(url, {"next": f"/circles/{chat.circle.pk}/#seq-1"})
    away = client.post(url, {"next": "https://evil.example/"})
    assert here["Location"] == f"/circles/{chat.circle.pk}/#seq-1"
    assert away["Location"] == f"/circles/{chat.circle.pk}/"


def test_a_message_of_another_circle_cannot_be_reported_through_this_one(client, chat):
    theirs = say(chat.neighbour, chat.neighbour_room, "beta talk")
    response = report(client, chat.members[0], chat.circle.pk, theirs.pk)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Report.objects.exists()


def test_a_deleted_message_cannot_be_reported(client, chat):
    message = say(chat.members[1], chat.room, "oops")
    services.delete_message(user=chat.members[1], room=chat.room, message_id=message.pk)
    assert report(client, chat.members[0], chat.circle.pk, message.pk).status_code == 404
    assert not Report.objects.exists()


def test_a_reason_is_at_most_500_characters(client, chat):
    message = say(chat.members[1], chat.room, "long story")
    response = report(client, chat.members[0], chat.circle.pk, message.pk, "x" * 501)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_frame",
        "detail": "A reason can be at most 500 characters.",
    }
    assert report(client, chat.members[0], chat.circle.pk, message.pk, "x" * 500).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [("newcomer", 404), ("neighbour", 404), ("admin", 404), ("outsider", 404), ("anonymous", 401)],
)
def test_only_the_circles_people_report_its_messages(client, chat, who, status):
    message = say(chat.members[1], chat.room, "in the circle")
    people = {
        "newcomer": chat.newcomer,
        "neighbour": chat.neighbour,
        "admin": chat.world.admin,
        "outsider": chat.world.outsider,
        "anonymous": None,
    }
    response = report(client, people[who], chat.circle.pk, message.pk)
    assert response.status_code == status
    assert "error" in response.json()
    assert not Report.objects.exists()


def test_a_removed_member_can_no_longer_report(client, chat):
    message = say(chat.members[1], chat.room, "after you left")
    member = chat.members[0]
    circle_services.remove_member(actor=chat.world.admin, circle=chat.circle, member=member, reason="left")
    assert report(client, member, chat.circle.pk, message.pk).status_code == 404


# What admins see


@pytest.fixture
def reported(chat):
    """Five messages; only the third is reported, with a reason."""
    say(chat.members[1], chat.room, "unreported before")
    say(chat.members[1], chat.room, "private struggle at work")
    bad = say(chat.members[1], chat.room, "the reported insult")
    say(chat.members[1], chat.room, "unreported after")
    say(chat.members[0], chat.room, "another private thought")
    services.report_message(user=chat.members[0], room=chat.room, message_id=bad.pk, reason="it hurt")
    return chat


UNREPORTED = ["unreported before", "private struggle", "unreported after", "another private thought"]


def test_an_admin_sees_the_reported_text_and_nothing_else(client, reported):
    page = reports_page(client, reported.world.admin, reported.world.programme.pk)
    assert page.status_code == 200
    text = page.content.decode()
    assert "the reported insult" in text
    assert "Alpha" in text  # the circle
    assert "Written by M1" in text
    assert "Reported by M0" in text
    assert "it hurt" in text
    for private in UNREPORTED:
        assert private not in text
    assert "no-store" in page["Cache-Control"]


def test_the_reported_text_is_the_one_that_was_reported_even_after_an_edit(client, reported):
    message = reported.room.messages.get(seq=3)
    services.edit_message(
        user=reported.members[1], room=reported.room, message_id=message.pk, body="edited away"
    )
    text = reports_page(client, reported.world.admin, reported.world.programme.pk).content.decode()
    assert "the reported insult" in text
    assert "edited away" not in text


def test_report_times_are_in_the_admins_zone(client, reported):
    created = Report.objects.get().created_at
    local = timezone.localtime(created, reported.world.admin.zone)
    shown = f"{local.day} {local:%b %Y, %H:%M}"  # the reader's short date and time, e.g. "7 Dec 2026, 02:08"
    assert shown in reports_page(client, reported.world.admin, reported.world.programme.pk).content.decode()


def test_html_in_a_report_shows_as_text(client, chat):
    message = say(chat.members[1], chat.room, "<img src=x onerror=alert(1)> hello")
    services.report_message(
        user=chat.members[0], room=chat.room, message_id=message.pk, reason="<script>alert('reason')</script>"
    )
    text = reports_page(client, chat.world.admin, chat.world.programme.pk).content.decode()
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;" in text
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt; hello" in text


def test_admins_never_reach_unreported_text_anywhere(client, reported):
    """Every page and API an admin can open, with the ids of the circle, its messages and a thread."""
    thread = open_thread(reported.coach, reported.members[0])
    say(reported.members[0], thread.room, "a private thread message")
    programme, circle = reported.world.programme.pk, reported.circle.pk
    admin = as_user(client, reported.world.admin)
    urls = [
        "/",
        f"/programmes/{programme}/",
        f"/programmes/{programme}/reports/",
        f"/programmes/{programme}/audit/",
        f"/programmes/{programme}/circles/{circle}/",
        f"/circles/{circle}/",
        f"/circles/{circle}/search/?q=private",
        f"/circles/{circle}/search/?q=unreported",
        f"/api/circles/{circle}/messages/",
        f"/api/circles/{circle}/messages/?after_seq=0",
        f"/api/threads/{thread.pk}/messages/",
    ]
    for url in urls:
        text = admin.get(url).content.decode()
        for private in [*UNREPORTED, "a private thread message"]:
            assert private not in text, url


def test_another_programmes_admin_and_members_do_not_see_the_reports(client, reported):
    for person in (reported.world.other_admin, reported.members[0], reported.coach):
        page = reports_page(client, person, reported.world.programme.pk)
        assert page.status_code == 404
        assert b"the reported insult" not in page.content
    elsewhere = reports_page(client, reported.world.other_admin, reported.world.other_programme.pk)
    assert elsewhere.status_code == 200
    assert b"the reported insult" not in elsewhere.content
    anonymous = reports_page(client, None, reported.world.programme.pk)
    assert anonymous.status_code == 302


def test_the_programme_menu_links_to_the_reports(client, reported):
    page = as_user(client, reported.world.admin).get(f"/programmes/{reported.world.programme.pk}/")
    assert f'href="/programmes/{reported.world.programme.pk}/reports/"' in page.content.decode()


def test_resolving_a_report_takes_it_off_the_list(client, reported):
    stored = Report.objects.get()
    url = f"/programmes/{reported.world.programme.pk}/reports/{stored.pk}/resolve/"
    response = as_user(client, reported.world.admin).post(url)
    assert response.status_code == 302
    assert response["Location"] == f"/programmes/{reported.world.programme.pk}/reports/"
    page = client.get(response["Location"]).content.decode()
    assert "The report is resolved." in page
    assert "the reported insult" not in page
    assert "No open reports." in page
    stored.refresh_from_db()
    assert stored.status == "resolved"
    resolved_at = stored.resolved_at
    assert client.post(url).status_code == 302  # resolving again changes nothing
    stored.refresh_from_db()
    assert stored.resolved_at == resolved_at


def test_only_the_programmes_admins_resolve_its_reports(client, reported):
    stored = Report.objects.get()
    for person, programme in [
        (reported.world.other_admin, reported.world.other_programme.pk),  # their programme, our report
        (reported.world.other_admin, reported.world.programme.pk),
        (reported.coach, reported.world.programme.pk),
        (reported.members[0], reported.world.programme.pk),
    ]:
        response = as_user(client, person).post(f"/programmes/{programme}/reports/{stored.pk}/resolve/")
        assert response.status_code == 404
    anonymous = as_user(client, None).post(
        f"/programmes/{reported.world.programme.pk}/reports/{stored.pk}/resolve/"
    )
    assert anonymous.status_code == 302
    admin = as_user(client, reported.world.admin)
    assert (
        admin.get(f"/programmes/{reported.world.programme.pk}/reports/{stored.pk}/resolve/").status_code
        == 405
    )
    assert admin.post(f"/programmes/{reported.world.programme.pk}/reports/999999/resolve/").status_code == 404
    stored.refresh_from_db()
    assert stored.status == "open"


# Hiding and muting


def mute(client, coach, circle_id: int, **fields):
    return as_user(client, coach).post(f"/circles/{circle_id}/mute/", fields, **JSON)


def hide(client, user, circle_id: int, message_id: int):
    return as_user(client, user).post(f"/circles/{circle_id}/messages/{message_id}/hide/", **JSON)


def test_the_coach_hides_a_message_and_the_room_hears_it_after_commit(
    client, chat, listener, django_capture_on_commit_callbacks
):
    message = say(chat.members[1], chat.room, "something cruel")
    listener.join(chat.room)
    with django_capture_on_commit_callbacks(execute=True):
        response = hide(client, chat.coach, chat.circle.pk, message.pk)
    assert response.json() == {"ok": True}
    frame = listener.next_frame()
    assert frame["type"] == "message.updated"
    assert (frame["message"]["id"], frame["message"]["hidden"]) == (message.pk, True)
    history = as_user(client, chat.members[0]).get(f"/api/circles/{chat.circle.pk}/messages/").json()
    assert (history["messages"][0]["body"], history["messages"][0]["hidden"]) == ("", True)
    search = client.get(f"/circles/{chat.circle.pk}/search/", {"q": "cruel"}, follow=True)
    assert search.status_code == 200
    assert b"something cruel" not in search.content


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 403), ("author", 403), ("neighbour", 404), ("admin", 404), ("anonymous", 401)],
)
def test_only_the_coach_hides(client, chat, who, status):
    message = say(chat.members[1], chat.room, "stays visible")
    people = {
        "member": chat.members[0],
        "author": chat.members[1],
        "neighbour": chat.neighbour,
        "admin": chat.world.admin,
        "anonymous": None,
    }
    response = hide(client, people[who], chat.circle.pk, message.pk)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    if status == 403:
        assert response.json()["error"] == {
            "code": "forbidden",
            "detail": "Only the coach can hide messages.",
        }
    message.refresh_from_db()
    assert message.hidden_at is None


def test_another_circles_coach_cannot_hide_here_nor_reach_across(client, chat):
    ours = say(chat.members[1], chat.room, "ours")
    assert hide(client, chat.world.other_coach, chat.circle.pk, ours.pk).status_code == 404
    assert hide(client, chat.world.other_coach, chat.world.second.pk, ours.pk).status_code == 404
    ours.refresh_from_db()
    assert ours.hidden_at is None


def test_people_who_left_can_no_longer_hide_or_mute(client, chat):
    message = say(chat.members[1], chat.room, "still here")
    member, old_coach = chat.members[0], chat.coach
    circle_services.remove_member(actor=chat.world.admin, circle=chat.circle, member=member, reason="left")
    circle_services.enrol(programme=chat.world.programme, user=chat.world.outsider, role="coach")
    circle_services.change_coach(actor=chat.world.admin, circle=chat.circle, coach=chat.world.outsider)
    for person in (member, old_coach):
        assert hide(client, person, chat.circle.pk, message.pk).status_code == 404
        assert mute(client, person, chat.circle.pk, user=chat.members[1].pk, minutes=5).status_code == 404
    message.refresh_from_db()
    assert message.hidden_at is None
    assert not Mute.objects.exists()
    assert hide(client, chat.world.outsider, chat.circle.pk, message.pk).json() == {"ok": True}


# Muting


def test_the_coach_mutes_a_member_who_then_cannot_post_until_the_time(client, chat):
    member = chat.members[1]
    response = mute(client, chat.coach, chat.circle.pk, user=member.pk, minutes=30)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["until"].endswith("Z")
    with pytest.raises(ChatError) as refused:
        say(member, chat.room, "can I speak?")
    assert refused.value.code == "forbidden"
    until_local = timezone.localtime(Mute.objects.get().until, member.zone)
    same_day = until_local.date() == timezone.localtime(timezone.now(), member.zone).date()
    until = until_local.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")
    assert refused.value.detail == f"The coach has paused your messages here until {until}."
    say(chat.members[0], chat.room, "others still can")  # only that member is paused
    Mute.objects.update(until=timezone.now() - timezone.timedelta(seconds=1))  # the half hour has passed
    cache.clear()  # the shared cache holds active mutes; rewriting the row by hand stands in for time passing
    assert say(member, chat.room, "back again").seq == 2


def test_a_plain_form_mute_goes_back_with_the_time_in_the_coachs_zone(client, chat):
    response = as_user(client, chat.coach).post(
        f"/circles/{chat.circle.pk}/mute/", {"user": chat.members[1].pk, "minutes": 60}
    )
    assert response.status_code == 302
    until = timezone.localtime(Mute.objects.get().until, chat.coach.zone).strftime("%Y-%m-%d %H:%M")
    assert f"M1 can post again at {until}." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"minutes": 0}, 400, "invalid_frame"),
        ({"minutes": 10081}, 400, "invalid_frame"),
        ({"minutes": -5}, 400, "invalid_frame"),
        ({"minutes": "ten"}, 400, "invalid_frame"),
        ({"minutes": ""}, 400, "invalid_frame"),
        ({"user": "someone"}, 400, "invalid_frame"),
        ({"user": 999999}, 404, "not_found"),
    ],
)
def test_a_mute_needs_a_member_and_1_to_10080_minutes(client, chat, fields, status, code):
    response = mute(
        client, chat.coach, chat.circle.pk, **{"user": chat.members[1].pk, "minutes": 10, **fields}
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["detail"]
    assert not Mute.objects.exists()


def test_the_longest_mute_is_a_week(client, chat):
    assert mute(client, chat.coach, chat.circle.pk, user=chat.members[1].pk, minutes=10080).status_code == 200


def test_the_coach_cannot_mute_someone_outside_the_circle_or_themselves(client, chat):
    for person in (chat.neighbour, chat.world.admin, chat.coach):
        response = mute(client, chat.coach, chat.circle.pk, user=person.pk, minutes=10)
        assert response.status_code == 404
    assert not Mute.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("member", 403), ("neighbour", 404), ("admin", 404), ("anonymous", 401)]
)
def test_only_the_coach_mutes(client, chat, who, status):
    people = {
        "member": chat.members[0],
        "neighbour": chat.neighbour,
        "admin": chat.world.admin,
        "anonymous": None,
    }
    response = mute(client, people[who], chat.circle.pk, user=chat.members[1].pk, minutes=10)
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"] == {"code": "forbidden", "detail": "Only the coach can mute someone."}
    assert not Mute.objects.exists()
    assert say(chat.members[1], chat.room, "still talking").seq == 1


def test_moderation_actions_need_post(client, chat):
    message = say(chat.members[1], chat.room, "x")
    as_user(client, chat.coach)
    for url in (
        f"/circles/{chat.circle.pk}/mute/",
        f"/circles/{chat.circle.pk}/messages/{message.pk}/hide/",
        f"/circles/{chat.circle.pk}/messages/{message.pk}/report/",
    ):
        assert client.get(url).status_code == 405


def test_actions_are_protected_against_cross_site_posts(chat):
    message = say(chat.members[1], chat.room, "x")
    strict = Client(enforce_csrf_checks=True)  # the test client skips CSRF checks unless told
    strict.force_login(chat.members[0])
    response = strict.post(f"/circles/{chat.circle.pk}/messages/{message.pk}/report/", **JSON)
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_hidden_message_cannot_be_reported_so_its_text_goes_nowhere(chat):
    message = say(chat.members[0], chat.room, "my phone is 555-0100")
    services.hide_message(user=chat.coach, room=chat.room, message_id=message.pk)
    with pytest.raises(ChatError, match="no longer shown"):
        services.report_message(user=chat.members[1], room=chat.room, message_id=message.pk)
    assert not Report.objects.exists()
