"""No double booking, rescheduling, cancelling: the rules of the services and what members are told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from circles import services as circle_services
from circles.models import Circle
from coaching.accounts.models import User
from coaching.live.errors import SessionRuleError
from coaching.live.models import LiveSession
from coaching.live.scheduling import schedule_session
from coaching.live.selectors import suggested_slots

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
