"""Fixtures for progress tests: the demo programme's people, and its demo progress when a test wants it."""

from __future__ import annotations

from typing import Any

import pytest

from circles.models import Circle, Programme
from coaching.accounts.models import User


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def harambee(demo: dict[str, Any]) -> Circle:
    return Circle.objects.get(name="Harambee")


@pytest.fixture
def puentes(demo: dict[str, Any]) -> Circle:
    return Circle.objects.get(name="Puentes")


@pytest.fixture
def programme(demo: dict[str, Any]) -> Programme:
    return Programme.objects.get(pk=demo["programme"]["id"])


@pytest.fixture
def demo_progress(demo: dict[str, Any], programme: Programme) -> dict[str, Any]:
    """The demo programme with eight weeks of demo progress (seed_demo adds it only with DEBUG on)."""
    from coaching.progress.demo import seed_progress

    seed_progress(programme)
    return demo


def ended_session(circle: Circle, starts_at: Any, *, minutes: int = 90) -> Any:
    """An ended session of the circle; the room writes these (and attendance) as it closes."""
    import datetime as dt

    from coaching.live.models import LiveSession

    coach = circle.memberships.get(role="coach", left_at__isnull=True).user
    return LiveSession.objects.create(
        circle=circle,
        title="Weekly circle",
        starts_at=starts_at,
        duration_minutes=minutes,
        timezone=coach.timezone,
        status=LiveSession.Status.ENDED,
        started_at=starts_at,
        ended_at=starts_at + dt.timedelta(minutes=minutes),
        created_by=coach,
    )


def attended(session: Any, username: str, *, minutes: float, present: bool = True) -> None:
    """What the room records for a person at the end of a session."""
    from coaching.live.models import Attendance

    Attendance.objects.create(
        session=session, user=user(username), present=present, seconds_present=round(minutes * 60)
    )


def say(username: str, room: Any, body: str, at: Any) -> Any:
    """Post a message through the chat service, then date it as if it had been sent at `at`."""
    import uuid

    from chat.models import Message
    from chat.sending import Send, send_messages

    (sent,) = send_messages(sends=[Send(author=user(username), room=room, client_id=uuid.uuid4(), body=body)])
    assert not isinstance(sent, Exception), sent
    message = sent.message
    Message.objects.filter(pk=message.pk).update(created_at=at)
    return message
