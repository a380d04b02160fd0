"""No double booking, rescheduling, cancelling: the rules of the services and what members are told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from circles import services as circle_services
from circles.models import Circle
from coaching.accounts.models import User
from coaching.live.calendar import feed_ics
from coaching.live.errors import SessionRuleError
from coaching.live.models import LiveSession
from coaching.live.reminders import send_due_reminders
from coaching.live.scheduling import cancel_session, reschedule_session, schedule_session, sessions_for
from coaching.live.selectors import circle_upcoming_sessions, suggested_slots, upcoming_sessions
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification

pytestmark = pytest.mark.django_db


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def lucia(demo) -> User:
    return user("lucia.coach")  # coaches Puentes, lives in Madrid


@pytest.fixture
def puentes(demo) -> Circle:
    return Circle.objects.get(name="Puentes")


@pytest.fixture
def second_circle(lucia, puentes) -> Circle:
    """Another circle Lucía coaches."""
    return circle_services.create_circle(
        actor=user("ana.admin"), programme=puentes.programme, name="Faros", language="es", coach=lucia
    )


def schedule(
    coach: User, circle: Circle, local: dt.datetime, minutes: int = 90, **kwargs
) -> list[LiveSession]:
    return schedule_session(
        coach=coach,
        circle=circle,
        title=kwargs.pop("title", "Session"),
        local_start=local,
        duration_minutes=minutes,
        **kwargs,
    )


# No double booking.


def test_it_refuses_a_session_overlapping_another_of_the_same_circle(lucia, puentes):
    schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), title="Kick-off")
    with pytest.raises(
        SessionRuleError, match="overlaps “Kick-off” of Puentes at 2027-01-14 18:00"
    ) as refused:
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 19, 0))
    assert refused.value.code == "overlap"
    assert LiveSession.objects.filter(circle=puentes).count() == 1


def test_it_refuses_a_session_overlapping_one_of_another_circle_of_the_same_coach(
    lucia, puentes, second_circle
):
    schedule(lucia, second_circle, dt.datetime(2027, 1, 14, 18, 0), title="Faros night")
    with pytest.raises(SessionRuleError, match="overlaps “Faros night” of Faros"):
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 17, 0), minutes=61)
    assert not LiveSession.objects.filter(circle=puentes).exists()


def test_it_refuses_a_weekly_series_when_a_later_week_overlaps_and_stores_none_of_it(lucia, puentes):
    schedule(lucia, puentes, dt.datetime(2027, 1, 28, 18, 30), minutes=30)
    with pytest.raises(SessionRuleError, match="overlaps"):
        schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), weeks=4)
    assert LiveSession.objects.filter(circle=puentes).count() == 1


def test_back_to_back_sessions_and_other_coaches_circles_are_fine(lucia, puentes, demo):
    schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0))
    schedule(lucia, puentes, dt.datetime(2027, 1, 14, 19, 30))  # starts when the first ends
    amani = user("amani.coach")
    other = Circle.objects.filter(memberships__user=amani).first()
    schedule(amani, other, dt.datetime(2027, 1, 14, 17, 0))  # same moment, another coach
    assert LiveSession.objects.count() == 3


def test_an_ended_session_no_longer_blocks_its_time(lucia, puentes):
    (first,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0))
    LiveSession.objects.filter(pk=first.pk).update(status=LiveSession.Status.ENDED)
    schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0))


def test_the_slot_finder_never_suggests_a_slot_overlapping_the_coachs_sessions(lucia, puentes, second_circle):
    now = timezone.now()
    before = suggested_slots(circle=puentes, coach=lucia, minutes=90, now=now)
    assert len(before) == 5
    # Lucía's other circle takes exactly the first suggestion; this circle takes the second.
    first, second = before[0], before[1]
    schedule(lucia, second_circle, first.starts_at.replace(tzinfo=None), minutes=60)
    schedule(lucia, puentes, (second.starts_at + dt.timedelta(minutes=30)).replace(tzinfo=None), minutes=30)
    after = suggested_slots(circle=puentes, coach=lucia, minutes=90, now=now)
    sessions = list(LiveSession.objects.all())
    for slot in after:
        for s in sessions:
            assert not (
                s.starts_at < slot.ends_at
                and slot.starts_at < s.starts_at + dt.timedelta(minutes=s.duration_minutes)
            )
    assert first.starts_at not in [s.starts_at for s in after]
    assert second.starts_at not in [s.starts_at for s in after]


# Rescheduling.


def members_of(circle: Circle) -> set[str]:
    return set(
        User.objects.filter(memberships__circle=circle, memberships__left_at__isnull=True).values_list(
            "username", flat=True
        )
    )


def move(
    session: LiveSession, local: dt.datetime, *, coach: User | None = None, **kwargs
) -> list[LiveSession]:
    args = {"title": session.title, "agenda": session.agenda, "duration_minutes": session.duration_minutes}
    return reschedule_session(
        coach=coach or user("lucia.coach"), session=session, local_start=local, **{**args, **kwargs}
    )


def test_it_moves_a_session_and_tells_every_member_in_utc_params(lucia, puentes):
    (session,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), title="Kick-off")
    (moved,) = move(session, dt.datetime(2027, 1, 15, 19, 30), title="Kick-off, again", duration_minutes=60)
    moved.refresh_from_db()
    assert moved.starts_at == dt.datetime(2027, 1, 15, 18, 30, tzinfo=dt.UTC)
    assert (moved.title, moved.duration_minutes) == ("Kick-off, again", 60)
    told = Notification.objects.filter(kind=Kind.SESSION_CHANGED)
    assert {n.recipient.username for n in told} == members_of(puentes) - {"lucia.coach"}
    first = told.first()
    assert first.params == {
        "circle": "Puentes",
        "title": "Kick-off, again",
        "starts_at": "2027-01-15T18:30:00+00:00",
    }
    assert first.url == f"/sessions/{session.pk}/"
    assert first.actor == lucia
    assert first.dedupe_key == f"session:{session.pk}:changed:2027-01-15T18:30:00+00:00"


def test_moving_it_twice_tells_members_twice_and_a_title_edit_tells_nobody(lucia, puentes):
    (session,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0))
    move(session, dt.datetime(2027, 1, 14, 20, 0), title="New name", agenda="1. Wins")
    assert Notification.objects.filter(kind=Kind.SESSION_CHANGED, recipient__username="camila").count() == 1
    session.refresh_from_db()
    move(session, dt.datetime(2027, 1, 14, 20, 0), title="Another name", agenda="2. Struggles")
    assert Notification.objects.filter(kind=Kind.SESSION_CHANGED, recipient__username="camila").count() == 1
    session.refresh_from_db()
    assert (session.title, session.agenda) == ("Another name", "2. Struggles")
    move(session, dt.datetime(2027, 1, 21, 20, 0))
    assert Notification.objects.filter(kind=Kind.SESSION_CHANGED, recipient__username="camila").count() == 2
    session.refresh_from_db()
    assert session.revision == 2  # two moves; the title edit is not a new version for calendars


@pytest.mark.parametrize(
    ("username", "status", "local", "message"),
    [
        ("camila", "scheduled", dt.datetime(2027, 1, 15, 18, 0), "Only the circle's coach"),
        ("amani.coach", "scheduled", dt.datetime(2027, 1, 15, 18, 0), "Only the circle's coach"),
        ("lucia.coach", "live", dt.datetime(2027, 1, 15, 18, 0), "This session is live"),
        ("lucia.coach", "ended", dt.datetime(2027, 1, 15, 18, 0), "This session has ended"),
        ("lucia.coach", "cancelled", dt.datetime(2027, 1, 15, 18, 0), "was cancelled"),
        ("lucia.coach", "scheduled", dt.datetime(2020, 1, 15, 18, 0), "must start in the future"),
        ("lucia.coach", "scheduled", dt.datetime(2027, 3, 28, 2, 30), r"does not exist in Madrid \(Spain\)"),
        ("lucia.coach", "scheduled", dt.datetime(2027, 1, 20, 18, 30), "overlaps “Other” of Puentes"),
    ],
)
def test_a_reschedule_breaking_a_rule_is_refused_and_changes_nothing(
    lucia, puentes, username, status, local, message
):
    (session,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), title="Kick-off")
    schedule(lucia, puentes, dt.datetime(2027, 1, 20, 18, 0), title="Other")
    LiveSession.objects.filter(pk=session.pk).update(status=status)
    with pytest.raises(SessionRuleError, match=message):
        move(session, local, coach=user(username), title="Changed")
    session.refresh_from_db()
    assert (session.title, session.starts_at) == ("Kick-off", dt.datetime(2027, 1, 14, 17, 0, tzinfo=dt.UTC))
    assert not Notification.objects.filter(kind=Kind.SESSION_CHANGED).exists()


def test_a_session_may_move_within_its_own_time_without_overlapping_itself(lucia, puentes):
    (session,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0))
    move(session, dt.datetime(2027, 1, 14, 18, 30))
    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2027, 1, 14, 17, 30, tzinfo=dt.UTC)


def test_reminders_go_out_again_for_the_new_time(lucia, puentes):
    start = timezone.localtime(timezone.now() + dt.timedelta(hours=20), lucia.zone).replace(
        tzinfo=None, second=0, microsecond=0
    )
    (session,) = schedule(lucia, puentes, start)
    assert send_due_reminders() > 0
    assert Notification.objects.filter(kind=Kind.SESSION_TOMORROW, recipient__username="camila").count() == 1
    move(session, start + dt.timedelta(hours=2))
    session.refresh_from_db()
    assert session.reminded_day_before_at is None
    assert session.reminded_soon_at is None
    assert send_due_reminders() > 0
    assert Notification.objects.filter(kind=Kind.SESSION_TOMORROW, recipient__username="camila").count() == 2


# Cancelling.


def test_it_cancels_a_session_which_leaves_the_lists_and_tells_the_members(lucia, puentes):
    (session,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0), title="Kick-off")
    now = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
    camila = user("camila")
    assert upcoming_sessions(user=camila, now=now) == [session]
    cancel_session(coach=lucia, session=session, reason="  I am ill  ")
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == (LiveSession.Status.CANCELLED, "I am ill")
    assert upcoming_sessions(user=camila, now=now) == []
    assert circle_upcoming_sessions(circle=puentes, now=now) == []
    told = Notification.objects.filter(kind=Kind.SESSION_CANCELLED)
    assert {n.recipient.username for n in told} == members_of(puentes) - {"lucia.coach"}
    assert told.first().params == {
        "circle": "Puentes",
        "title": "Kick-off",
        "starts_at": "2027-01-14T17:00:00+00:00",
    }
    assert told.first().dedupe_key == f"session:{session.pk}:cancelled"
    # The calendar feed keeps the event, marked cancelled, so calendar apps take it off.
    feed = feed_ics(sessions_for(user=camila, since=now), base_url="https://x").decode()
    assert "STATUS:CANCELLED" in feed
    assert "SEQUENCE:1" in feed  # calendar apps take the cancellation as a newer version
    # Its time is free again.
    schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0))


def test_a_cancelled_session_gets_no_reminders(lucia, puentes):
    start = timezone.localtime(timezone.now() + dt.timedelta(hours=20), lucia.zone).replace(tzinfo=None)
    (session,) = schedule(lucia, puentes, start)
    cancel_session(coach=lucia, session=session)
    assert send_due_reminders() == 0
    assert not Notification.objects.filter(kind=Kind.SESSION_TOMORROW).exists()


@pytest.mark.parametrize(
    ("username", "status", "message"),
    [
        ("camila", "scheduled", "Only the circle's coach"),
        ("amani.coach", "scheduled", "Only the circle's coach"),
        ("lucia.coach", "live", "This session is live"),
        ("lucia.coach", "ended", "This session has ended"),
        ("lucia.coach", "cancelled", "was cancelled"),
    ],
)
def test_only_the_coach_cancels_and_only_a_scheduled_session(lucia, puentes, username, status, message):
    (session,) = schedule(lucia, puentes, dt.datetime(2027, 1, 14, 18, 0))
    LiveSession.objects.filter(pk=session.pk).update(status=status)
    with pytest.raises(SessionRuleError, match=message):
        cancel_session(coach=user(username), session=session)
    session.refresh_from_db()
    assert session.status == status
    assert not Notification.objects.filter(kind=Kind.SESSION_CANCELLED).exists()
