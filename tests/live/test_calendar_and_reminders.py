"""iCal output parsed back by a calendar library, and reminders sent once, in each person's zone."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from circles.models import Circle
from coaching.accounts.models import User
from coaching.live.calendar import calendar_token, feed_ics, session_ics
from coaching.live.models import LiveSession
from coaching.live.reminders import send_due_reminders
from coaching.live.scheduling import schedule_session, sessions_for
from coaching.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(demo):
    return schedule_session(
        coach=User.objects.get(username="lucia.coach"),
        circle=Circle.objects.get(name="Puentes"),
        title="Círculo semanal",
        agenda="Review commitments",
        local_start=dt.datetime(2027, 10, 28, 18, 0),
        duration_minutes=60,
        weeks=2,
    )


def test_an_ics_file_parses_back_with_the_right_zone_and_instant(series):
    calendar = Calendar.from_ical(session_ics(series[0], base_url="https://circles.example"))
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Madrid"
    assert start.astimezone(dt.UTC) == dt.datetime(2027, 10, 28, 16, 0, tzinfo=dt.UTC)
    assert event.decoded("dtend") - start == dt.timedelta(minutes=60)
    assert str(event["summary"]) == "Círculo semanal · Puentes"
    assert str(event["url"]) == f"https://circles.example/sessions/{series[0].pk}/"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]


def test_the_feed_carries_both_sides_of_the_dst_change(series):
    camila = User.objects.get(username="camila")
    calendar = Calendar.from_ical(feed_ics(sessions_for(user=camila), base_url="https://circles.example"))
    starts = sorted(e.decoded("dtstart").astimezone(dt.UTC) for e in calendar.walk("VEVENT"))
    assert starts == [
        dt.datetime(2027, 10, 28, 16, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 11, 4, 17, 0, tzinfo=dt.UTC),
    ]
    assert len({e["uid"] for e in calendar.walk("VEVENT")}) == 2


def test_the_calendar_token_is_stable_until_renewed(demo):
    kofi = User.objects.get(username="kofi")
    first = calendar_token(user=kofi)
    assert calendar_token(user=kofi) == first
    renewed = calendar_token(user=kofi, renew=True)
    assert renewed != first
    assert len(renewed) >= 40


def test_reminders_go_out_once_a_day_before_and_once_just_before(series):
    session = series[0]
    day_before = session.starts_at - dt.timedelta(hours=23)
    reminded = send_due_reminders(now=day_before)
    assert reminded == 7  # Lucía and her six members
    assert send_due_reminders(now=day_before + dt.timedelta(minutes=1)) == 0
    tomorrow = Notification.objects.filter(kind="session_tomorrow")
    assert tomorrow.count() == 7
    camilas = tomorrow.get(recipient__username="camila")
    assert camilas.url == f"/sessions/{session.pk}/"
    assert camilas.params == {
        "circle": "Puentes",
        "title": "Círculo semanal",
        "starts_at": "2027-10-28T16:00:00+00:00",  # 18:00 in Lucía's zone, told in UTC, read on each clock
    }
    assert camilas.email_due_at is not None  # an email is planned, past Camila's quiet hours
    assert send_due_reminders(now=session.starts_at - dt.timedelta(minutes=10)) == 7
    assert send_due_reminders(now=session.starts_at - dt.timedelta(minutes=5)) == 0
    starting = Notification.objects.get(recipient__username="camila", kind="session_starting")
    assert starting.dedupe_key.startswith(f"session:{session.pk}:starting:")
    assert starting.email_due_at == session.starts_at - dt.timedelta(minutes=10)  # urgent: quiet hours or not


def test_a_session_starting_soon_gets_only_the_soon_reminder(series):
    session = series[0]
    assert send_due_reminders(now=session.starts_at - dt.timedelta(minutes=14)) == 7
    assert send_due_reminders(now=session.starts_at - dt.timedelta(minutes=13)) == 0
    session.refresh_from_db()
    assert session.reminded_day_before_at is not None


def test_ended_or_live_sessions_are_not_reminded(series):
    LiveSession.objects.update(status=LiveSession.Status.LIVE)
    assert send_due_reminders(now=series[0].starts_at - dt.timedelta(minutes=10)) == 0
