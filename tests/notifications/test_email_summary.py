"""The coach's weekly summary: Monday 8:00 on the coach's clock, once a week, times against 90 minutes."""

from __future__ import annotations

import datetime as dt

import pytest

from chat.access import access_room
from circles.models import Circle, Membership
from coaching.progress import concerns, services
from coaching.progress.summaries import send_coach_summaries
from tests.notifications.smtp import text_of
from tests.progress.conftest import say, user

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MONDAY_8_NAIROBI = dt.datetime(2026, 3, 23, 5, 0, tzinfo=UTC)  # 08:00 in Nairobi, Monday of 2026-W13


@pytest.fixture
def harambee_week(demo):
    """Last week in Harambee (coach Amani, Nairobi): two questions in the room, one answered in 30 minutes;
    a commitment overdue; a concern still open (a question too)."""
    Membership.objects.update(joined_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    harambee = Circle.objects.get(name="Harambee")
    room = access_room(user("amani.coach"), harambee.pk)
    say("grace", room, "@amani.coach how do I price a workshop?", dt.datetime(2026, 3, 17, 10, 0, tzinfo=UTC))
    say("amani.coach", room, "From the value to the client.", dt.datetime(2026, 3, 17, 10, 30, tzinfo=UTC))
    say("daniel", room, "@amani.coach are the slides shared?", dt.datetime(2026, 3, 18, 9, 0, tzinfo=UTC))
    services.set_commitment(
        member=user("kofi"),
        circle=harambee,
        text="Send the launch checklist",
        due_on=dt.date(2026, 3, 20),
        now=dt.datetime(2026, 3, 16, 9, tzinfo=UTC),
    )
    concerns.raise_concern(
        member=user("fatima"),
        circle=harambee,
        to="coach",
        subject="Session clashes with my shift",
        text="Thursdays are hard.",
        now=dt.datetime(2026, 3, 19, 9, tzinfo=UTC),
    )
    return harambee


def test_it_sends_each_coach_their_summary_on_monday_at_8_once(smtp_server, harambee_week, settings):
    settings.SITE_URL = "https://circles.example.org"
    amani = user("amani.coach")
    assert send_coach_summaries(now=MONDAY_8_NAIROBI - dt.timedelta(minutes=15)) == 0  # 07:45 in Nairobi
    assert send_coach_summaries(now=MONDAY_8_NAIROBI) == 1  # only Amani: 08:00 nowhere else with a coach
    assert send_coach_summaries(now=MONDAY_8_NAIROBI + dt.timedelta(minutes=10)) == 0  # once a week
    assert send_coach_summaries(now=MONDAY_8_NAIROBI + dt.timedelta(days=1)) == 0  # Tuesday

    (message,) = smtp_server.to(amani.email)
    assert message["Subject"] == "Your week in Circles: 2026-W12"
    text = text_of(message)
    # Grace's question (30 minutes), Daniel's and Fatima's concern, both still waiting at Monday 8:00.
    assert "3 questions from your members." in text
    assert (
        "Half were answered within 5520 minutes, nine in ten within 6960 minutes (the goal: 90 minutes)."
        in text
    )
    assert "Slower than the goal." in text
    assert "2 questions are still waiting for you." in text
    assert "Harambee · https://circles.example.org/circles/" in text
    assert "1 open commitment, 1 overdue." in text
    assert "Send the launch checklist" in text
    assert "Session clashes with my shift" in text
    assert "how do I price" not in text  # never what was said
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_coach_who_turned_the_summary_off_gets_none(smtp_server, harambee_week):
    from coaching.notifications.unsubscribe import SUMMARY, unsubscribe

    unsubscribe(user=user("amani.coach"), what=SUMMARY)
    assert send_coach_summaries(now=MONDAY_8_NAIROBI) == 0
    assert smtp_server.messages == []


def test_a_spanish_coach_reads_it_in_spanish(smtp_server, demo):
    lucia = user("lucia.coach")  # Madrid, Spanish
    assert lucia.ui_language == "es"
    monday_8_madrid = dt.datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
    assert send_coach_summaries(now=monday_8_madrid) == 1
    (message,) = smtp_server.to(lucia.email)
    assert message["Subject"] == "Tu semana en Circles: 2026-W12"
    assert "Tus miembros no te hicieron preguntas la semana pasada." in text_of(message)
