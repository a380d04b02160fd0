"""The search page /search/: the reader's own conversations only, filters, highlighted snippets, pages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat import threads
from circles import services as circle_services
from tests.chat.test_api import Chat, chat_fixture, say  # noqa: F401 - fixtures shared with the API tests
from tests.circles.conftest import world  # noqa: F401


def find(client, user, **params):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get("/search/", params)


def found(response) -> list[int]:
    """The message ids listed on a results page, in page order."""
    return [int(pk) for pk in re.findall(r'data-message="(\d+)"', response.content.decode())]


def test_the_navigation_leads_to_search(client, chat):
    client.force_login(chat.members[0])
    page = client.get("/").content.decode()
    assert 'href="/search/"' in page
    assert 'href="/search/" aria-current="page"' in find(client, chat.members[0]).content.decode()


def test_it_lists_matches_from_circles_and_threads_with_links_to_the_message(client, chat):
    member = chat.members[0]
    thread = threads.open_thread(coach=chat.coach, member=member)
    in_circle = say(chat.members[1], chat.room, "Resilience is a muscle")
    in_thread = say(chat.coach, thread.room, "More on resilience <b>next</b> week")
    say(chat.neighbour, chat.neighbour_room, "resilience next door")
    response = find(client, member, q="resilience")
    assert response.status_code == 200
    assert sorted(found(response)) == sorted([in_circle.pk, in_thread.pk])
    page = response.content.decode()
    assert f'href="/circles/{chat.circle.pk}/#message-{in_circle.pk}"' in page
    assert f'href="/threads/{thread.pk}/#message-{in_thread.pk}"' in page
    assert "<mark>Resilience</mark> is a muscle" in page
    assert "&lt;b&gt;next&lt;/b&gt;" in page
    assert "Alpha" in page
    assert "With Coach" in page
    assert "next door" not in page


def test_each_time_is_on_the_readers_clock(client, chat):
    message = say(chat.members[1], chat.room, "timezones are hard")
    for reader in (chat.members[0], chat.coach):  # Bogotá and Madrid
        at = timezone.localtime(message.created_at, ZoneInfo(reader.timezone))
        local = f"{at.day} {at.strftime('%b %Y, %H:%M')}"  # "6 Dec 2026, 14:00": never 12/06 or ISO
        assert local in find(client, reader, q="timezones").content.decode()


@pytest.mark.parametrize("who", ["admin", "other_admin", "outsider", "newcomer", "neighbour"])
def test_people_outside_the_circle_never_see_its_text(client, chat, who):
    say(chat.members[0], chat.room, "confidential words")
    person = {
        "admin": chat.world.admin,
        "other_admin": chat.world.other_admin,
        "outsider": chat.world.outsider,
        "newcomer": chat.newcomer,
        "neighbour": chat.neighbour,
    }[who]
    response = find(client, person, q="confidential")
    assert response.status_code == 200
    assert found(response) == []
    assert "confidential words" not in response.content.decode()


def test_someone_elses_conversation_cannot_be_chosen(client, chat):
    say(chat.neighbour, chat.neighbour_room, "their plan")
    response = find(client, chat.members[0], q="plan", conversation=chat.neighbour_room.pk)
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert "their plan" not in response.content.decode()
    select = re.search(r'<select name="conversation".*?</select>', response.content.decode(), re.S)
    assert select is not None
    options = re.findall(r'<option value="(\d+)"', select.group(0))
    assert str(chat.neighbour_room.pk) not in options
    assert str(chat.room.pk) in options


def test_filters_narrow_the_results(client, chat):
    member = chat.members[0]
    mine = say(member, chat.room, "plan by me")
    coachs = say(chat.coach, chat.room, "plan by the coach")
    assert found(find(client, member, q="plan", person=chat.coach.pk)) == [coachs.pk]
    assert found(find(client, member, q="plan", person=member.pk)) == [mine.pk]
    today = timezone.localdate(timezone.now(), member.zone).isoformat()
    assert len(found(find(client, member, q="plan", since=today, until=today))) == 2
    assert found(find(client, member, q="plan", until="2020-01-01")) == []


def test_dates_the_wrong_way_round_are_refused_with_a_reason(client, chat):
    response = find(client, chat.members[0], q="plan", since="2026-02-01", until="2026-01-01")
    assert response.status_code == 400
    assert "The end date cannot be before the start date." in response.content.decode()
    response = find(client, chat.members[0], q="plan", since="yesterday")
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("word " * 41, "Ensure this value has at most 200 characters"),
        ("word\x00", "This text cannot contain control characters."),
        ("two\nlines", "This text must be one line."),
    ],
)
def test_a_bad_query_is_refused_with_a_reason_not_a_server_error(client, chat, query, reason):
    response = find(client, chat.members[0], q=query)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert found(response) == []


def test_an_empty_query_shows_the_form_only(client, chat):
    say(chat.members[0], chat.room, "anything")
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = find(client, chat.members[0], **params)
        assert response.status_code == 200
        assert 'name="q"' in response.content.decode()
        assert "Results" not in response.content.decode()


def test_more_results_come_page_by_page(client, chat):
    for n in range(23):
        say(chat.members[0], chat.room, f"update number {n}")
    first = find(client, chat.coach, q="update")
    assert len(found(first)) == 20
    more = re.search(r'<a href="\?([^"]+)" rel="next">More results</a>', first.content.decode())
    assert more is not None
    params = {key: values[0] for key, values in parse_qs(more.group(1).replace("&amp;", "&")).items()}
    assert params == {"q": "update", "page": "2"}
    second = find(client, chat.coach, **params)
    assert len(found(second)) == 3
    assert set(found(first)).isdisjoint(found(second))
    assert 'rel="next"' not in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def test_the_circle_search_box_opens_the_search_narrowed_to_the_circle(client, chat):
    client.force_login(chat.members[0])
    response = client.get(f"/circles/{chat.circle.pk}/search/", {"q": "goals"})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/search/"
    assert parse_qs(target.query) == {"conversation": [str(chat.room.pk)], "q": ["goals"]}
    client.force_login(chat.neighbour)
    assert client.get(f"/circles/{chat.circle.pk}/search/", {"q": "goals"}).status_code == 404


def test_a_removed_member_no_longer_finds_the_circle(client, chat):
    say(chat.members[1], chat.room, "before you left")
    member = chat.members[0]
    assert len(found(find(client, member, q="left"))) == 1
    circle_services.remove_member(actor=chat.world.admin, circle=chat.circle, member=member, reason="left")
    assert found(find(client, member, q="left")) == []


def test_an_anonymous_visitor_is_sent_to_sign_in(client, chat):
    response = find(client, None, q="anything")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
