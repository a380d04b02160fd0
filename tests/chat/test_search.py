"""Search within a circle: its own visible messages, newest first, for its members and coach only."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat import services
from circles import services as circle_services
from tests.chat.test_api import chat_fixture, say  # noqa: F401 - fixtures shared with the API tests
from tests.circles.conftest import world  # noqa: F401


def find(client, user, circle_id: int, q: str | None):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(f"/circles/{circle_id}/search/", {} if q is None else {"q": q})


def found(response) -> list[int]:
    """The seqs listed on a results page, in page order."""
    return [int(seq) for seq in re.findall(r'data-seq="(\d+)"', response.content.decode())]


def test_it_finds_words_whatever_their_case_newest_first(client, chat):
    say(chat.members[0], chat.room, "Resilience is a muscle")
    say(chat.members[1], chat.room, "Nothing to do with it")
    say(chat.coach, chat.room, "More on RESILIENCE next week")
    response = find(client, chat.members[0], chat.circle.pk, "resilience")
    assert response.status_code == 200
    assert found(response) == [3, 1]
    page = response.content.decode()
    assert "2 messages found" in page
    assert f'href="/circles/{chat.circle.pk}/#seq-3"' in page
    assert "<strong>Coach</strong>" in page
    assert "<strong>M0</strong>" in page


def test_it_needs_every_word(client, chat):
    say(chat.members[0], chat.room, "morning routine matters")
    say(chat.members[0], chat.room, "evening routine")
    assert found(find(client, chat.coach, chat.circle.pk, "routine morning")) == [1]
    assert found(find(client, chat.coach, chat.circle.pk, "routine")) == [2, 1]


def test_it_shows_the_stored_sanitised_html(client, chat):
    say(chat.members[0], chat.room, "a *bold* plan <script>alert('x')</script>")
    page = find(client, chat.members[1], chat.circle.pk, "plan").content.decode()
    assert "<em>bold</em>" in page
    assert "<script>alert" not in page


def test_it_shows_each_time_in_the_readers_own_zone(client, chat):
    message = say(chat.members[0], chat.room, "timezones are hard")
    for reader in (chat.members[0], chat.coach):  # Bogotá and Madrid
        local = timezone.localtime(message.created_at, ZoneInfo(reader.timezone)).strftime("%Y-%m-%d %H:%M")
        assert local in find(client, reader, chat.circle.pk, "timezones").content.decode()


def test_it_never_finds_another_circles_messages(client, chat):
    say(chat.members[0], chat.room, "our secret plan")
    say(chat.neighbour, chat.neighbour_room, "their secret plan")
    page = find(client, chat.members[0], chat.circle.pk, "secret")
    assert found(page) == [1]
    assert "their secret" not in page.content.decode()


def test_it_never_finds_deleted_or_hidden_messages(client, chat):
    gone = say(chat.members[0], chat.room, "pineapple regret")
    rude = say(chat.members[1], chat.room, "pineapple insult")
    say(chat.members[1], chat.room, "pineapple pizza")
    services.delete_message(user=chat.members[0], room=chat.room, message_id=gone.pk)
    services.hide_message(user=chat.coach, room=chat.room, message_id=rude.pk)
    page = find(client, chat.coach, chat.circle.pk, "pineapple")
    assert found(page) == [3]
    assert "insult" not in page.content.decode()


def test_an_empty_query_shows_the_form_only(client, chat):
    say(chat.members[0], chat.room, "anything")
    for q in (None, "", "   "):
        response = find(client, chat.members[0], chat.circle.pk, q)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'name="q"' in page
        assert "found" not in page
        assert found(response) == []


def test_a_query_longer_than_200_characters_is_refused_with_a_reason(client, chat):
    say(chat.members[0], chat.room, "word " * 10)
    response = find(client, chat.members[0], chat.circle.pk, "word " * 41)
    assert response.status_code == 400
    page = response.content.decode()
    assert "A search can be at most 200 characters." in page
    assert found(response) == []
    assert find(client, chat.members[0], chat.circle.pk, "w" * 200).status_code == 200


def test_it_lists_at_most_fifty(client, chat):
    for n in range(55):
        say(chat.members[0], chat.room, f"update number {n}")
    response = find(client, chat.members[0], chat.circle.pk, "update")
    assert found(response) == list(range(55, 5, -1))
    assert "Only the first 50 are shown" in response.content.decode()


def test_it_reads_quotes_and_exclusions_like_a_search_box(client, chat):
    say(chat.members[0], chat.room, "coffee with milk")
    say(chat.members[0], chat.room, "coffee black")
    assert found(find(client, chat.coach, chat.circle.pk, "coffee -milk")) == [2]
    assert found(find(client, chat.coach, chat.circle.pk, '"black"')) == [2]
    assert found(find(client, chat.coach, chat.circle.pk, "-coffee")) == []


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coach", 200),
        ("member", 200),
        ("newcomer", 404),
        ("neighbour", 404),
        ("admin", 404),
        ("other_admin", 404),
        ("outsider", 404),
    ],
)
def test_only_the_circles_people_search_it(client, chat, who, status):
    say(chat.members[0], chat.room, "confidential words")
    people = {
        "coach": chat.coach,
        "member": chat.members[1],
        "newcomer": chat.newcomer,
        "neighbour": chat.neighbour,
        "admin": chat.world.admin,
        "other_admin": chat.world.other_admin,
        "outsider": chat.world.outsider,
    }
    response = find(client, people[who], chat.circle.pk, "confidential")
    assert response.status_code == status
    assert (b"confidential words" in response.content) is (status == 200)


def test_an_anonymous_visitor_is_sent_to_sign_in(client, chat):
    response = find(client, None, chat.circle.pk, "anything")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_removed_member_can_no_longer_search(client, chat):
    say(chat.members[1], chat.room, "before you left")
    member = chat.members[0]
    assert found(find(client, member, chat.circle.pk, "left")) == [1]
    circle_services.remove_member(actor=chat.world.admin, circle=chat.circle, member=member, reason="left")
    assert find(client, member, chat.circle.pk, "left").status_code == 404


@pytest.mark.postgres
def test_it_uses_ranked_full_text_search_on_postgres(client, chat):
    say(chat.members[0], chat.room, "goals")
    say(chat.members[0], chat.room, "goals goals goals: my goals for the quarter")
    say(chat.members[0], chat.room, "goalkeeper stories")  # a different word, not a match
    say(chat.members[0], chat.room, "nothing related")
    page = find(client, chat.coach, chat.circle.pk, "GOALS")
    assert found(page) == [2, 1]  # the message that is most about goals comes first
    assert found(find(client, chat.coach, chat.circle.pk, '"for the quarter"')) == [2]
    assert found(find(client, chat.coach, chat.circle.pk, "goals -quarter")) == [1]
    assert found(find(client, chat.coach, chat.circle.pk, "goalkeeper or related")) == [4, 3]


@pytest.mark.parametrize("query", ["word\x00", "word\x1b[31m", "two\nlines"])
def test_a_query_with_control_characters_is_refused_with_a_reason_not_a_server_error(client, chat, query):
    say(chat.members[0], chat.room, "word")
    response = find(client, chat.members[0], chat.circle.pk, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This text cannot contain control characters." in page or "This text must be one line." in page
    assert found(response) == []
