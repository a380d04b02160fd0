"""The coach's 60 minutes: a member's question left unanswered tells the coach once; the dashboard times it
from the question."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chat.access import access_room
from chat.models import Message, Room
from chat.questions import alert_unanswered
from chat.threads import open_thread
from circles.models import Circle
from coaching.accounts.models import User
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification
from coaching.progress.selectors import circle_response_times
from tests.chat.conftest import post

pytestmark = pytest.mark.django_db
COACH = "amani.coach"


def user(username: str) -> User:
    return User.objects.get(username=username)


def minutes(n: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=n)


@pytest.fixture
def room(demo) -> Room:
    circle = demo["circles"][1]
    assert circle["name"] == "Harambee"
    assert circle["coach"] == COACH
    return access_room(user(COACH), circle["id"])


def alerts() -> list[tuple[str, str, str]]:
    return [
        (n.recipient.username, n.actor.username if n.actor else "", n.snippet)
        for n in Notification.objects.filter(kind=Kind.UNANSWERED_QUESTION)
        .select_related("recipient", "actor")
        .order_by("id")
    ]


def test_a_question_answered_in_time_alerts_nobody(room):
    post(user("grace"), room, "@amani.coach how do I price a workshop?")
    post(user(COACH), room, "From the value to the client.")
    assert alert_unanswered(now=minutes(61)) == 0
    assert alerts() == []


def test_an_unanswered_question_alerts_the_coach_once_after_an_hour(room, django_assert_max_num_queries):
    question = post(user("grace"), room, "@amani.coach how do I price a workshop?").message
    post(user("kofi"), room, "Good question!")  # others talking is no answer
    assert alert_unanswered(now=minutes(59)) == 0
    assert alert_unanswered(now=minutes(61)) == 1
    with django_assert_max_num_queries(3):
        assert alert_unanswered(now=minutes(62)) == 0  # never twice, and the scan stays cheap
    assert alert_unanswered(now=minutes(300)) == 0
    (alert,) = Notification.objects.filter(kind=Kind.UNANSWERED_QUESTION)
    assert alert.recipient == user(COACH)
    assert alert.actor == user("grace")
    assert alert.params == {"minutes": 60}
    assert alert.snippet == "@amani.coach how do I price a workshop?"
    assert alert.url == f"/circles/{room.circle_id}/#message-{question.pk}"
    assert (alert.conversation, alert.position) == (f"room:{room.pk}", question.seq)
    assert alert.dedupe_key == f"question:{question.pk}"


def test_the_coach_posting_in_another_room_does_not_answer(room):
    post(user("grace"), room, "@amani.coach are the slides shared?")
    thread = open_thread(coach=user(COACH), member=user("kofi"))
    post(user(COACH), thread.room, "Kofi, see you at 9.")
    assert alert_unanswered(now=minutes(61)) == 1
    assert alerts() == [(COACH, "grace", "@amani.coach are the slides shared?")]


def test_a_waiting_room_alerts_once_for_its_first_question_and_per_room(room):
    post(user("grace"), room, "@amani.coach one")
    post(user("james"), room, "@amani.coach and two")
    thread = open_thread(coach=user(COACH), member=user("kofi"))
    post(user("kofi"), thread.room, "Can I join late on Thursday?")
    post(user(COACH), thread.room, "@kofi asking myself")  # the coach's own message is no question
    post(user("kofi"), thread.room, "Thanks! Also, can I bring a friend?")
    assert alert_unanswered(now=minutes(61)) == 2
    assert alerts() == [
        (COACH, "grace", "@amani.coach one"),
        (COACH, "kofi", "Thanks! Also, can I bring a friend?"),
    ]
    assert alert_unanswered(now=minutes(120)) == 0


def test_mentions_of_peers_old_deleted_or_hidden_questions_alert_nobody(room):
    post(user("grace"), room, "@kofi thanks for the tip")
    gone = post(user("james"), room, "@amani.coach never mind").message
    Message.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    hidden = post(user("james"), room, "@amani.coach rude").message
    Message.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    post(user("daniel"), room, "@amani.coach yesterday's question")
    assert alert_unanswered(now=minutes(60 * 25)) == 0  # a day later it is the dashboard's business
    assert alerts() == []


def test_the_dashboard_times_the_answer_from_the_question(room):
    asked = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
    early = post(user("grace"), room, "Morning all").message  # not a question: it starts no clock
    question = post(user("grace"), room, "@amani.coach can I swap my slot?").message
    answer = post(user(COACH), room, "Yes, take Thursday.").message
    for message, at in (
        (early, asked - dt.timedelta(hours=5)),
        (question, asked),
        (answer, asked + dt.timedelta(minutes=25)),
    ):
        Message.objects.filter(pk=message.pk).update(created_at=at)
    found = circle_response_times(
        circle=Circle.objects.get(pk=room.circle_id), coach=user(COACH), now=asked + dt.timedelta(days=1)
    )
    assert found is not None
    (week,) = [w for w in found.weeks if w]
    assert (week.count, week.waiting, week.median_minutes) == (1, 0, 25)
