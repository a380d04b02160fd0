"""The programme dashboard at scale: a programme of 2,000 members runs the same queries as one of twelve."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chat.models import Mention, Message, Room
from circles.models import Circle, Membership, Programme
from coaching.accounts.models import User
from coaching.live.models import Attendance, Commitment, LiveSession
from coaching.progress import metrics
from coaching.progress.models import CheckIn, Concern, Goal

pytestmark = pytest.mark.django_db

CIRCLE_SIZE = 8
ZONES = ["Africa/Nairobi", "Europe/Madrid", "America/Bogota", "America/New_York", "Asia/Tokyo"]


def build(programme: Programme, admin: User, *, circles: int, first: int = 0) -> None:
    """Circles of eight members and a coach, with 4 weeks of sessions, check-ins, commitments and chat."""
    now = timezone.now()
    this_week = metrics.week_start(metrics.week_of(now, dt.UTC), dt.UTC)
    joined = now - dt.timedelta(days=70)
    new_circles = Circle.objects.bulk_create(
        Circle(programme=programme, name=f"Circle {first + i:04d}", status=Circle.Status.ACTIVE)
        for i in range(circles)
    )
    people = User.objects.bulk_create(
        User(
            username=f"p{first + i:04d}-{j}",
            display_name=f"Person {first + i}-{j}",
            timezone=ZONES[(i + j) % len(ZONES)],
            password="!",
        )
        for i in range(circles)
        for j in range(CIRCLE_SIZE + 1)
    )
    seats, coaches, members = [], {}, {}
    for i, circle in enumerate(new_circles):
        group = people[i * (CIRCLE_SIZE + 1) : (i + 1) * (CIRCLE_SIZE + 1)]
        coaches[circle.pk], members[circle.pk] = group[0], group[1:]
        seats.append(Membership(circle=circle, user=group[0], role=Membership.Role.COACH))
        seats += [Membership(circle=circle, user=m, role=Membership.Role.MEMBER) for m in group[1:]]
    Membership.objects.bulk_create(seats)
    Membership.objects.filter(circle__in=new_circles).update(joined_at=joined)

    sessions = LiveSession.objects.bulk_create(
        LiveSession(
            circle=circle,
            title="Weekly",
            starts_at=this_week - dt.timedelta(days=7 * week - 2, hours=-12),
            timezone="UTC",
            status=LiveSession.Status.ENDED,
            created_by=coaches[circle.pk],
        )
        for circle in new_circles
        for week in range(1, 5)
    )
    Attendance.objects.bulk_create(
        Attendance(session=s, user=m, present=True, seconds_present=(3 + n % 3) * 1800)
        for s in sessions
        for n, m in enumerate(members[s.circle_id])
        if n % 4
    )
    goals = Goal.objects.bulk_create(
        Goal(member=m, title="Goal", measure="Measure", created_at=joined)
        for ms in members.values()
        for m in ms
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            goal=g, member_id=g.member_id, week=(this_week - dt.timedelta(days=7 * w)).date(), score=5 + w
        )
        for n, g in enumerate(goals)
        for w in range(1, 5)
        if (n + w) % 3
    )
    Commitment.objects.bulk_create(
        Commitment(
            member=m,
            circle_id=circle_id,
            text="Do it",
            due_on=(this_week - dt.timedelta(days=10)).date(),
            status="done" if n % 2 else "open",
            closed_at=this_week - dt.timedelta(days=11) if n % 2 else None,
            created_by=m,
        )
        for circle_id, ms in members.items()
        for n, m in enumerate(ms)
    )
    rooms = Room.objects.bulk_create(Room(kind=Room.Kind.CIRCLE, circle=c) for c in new_circles)
    # Odd messages are a member's question to the coach, even ones the coach's answer half an hour later.
    messages = Message.objects.bulk_create(
        Message(
            room=room,
            seq=seq,
            author=members[circle.pk][seq % CIRCLE_SIZE] if seq % 2 else coaches[circle.pk],
            client_id=uuid.uuid4(),
            body=f"@{coaches[circle.pk].username} question" if seq % 2 else "answer",
            html="",
            created_at=this_week - dt.timedelta(days=3, minutes=-30 * seq),
        )
        for room, circle in zip(rooms, new_circles, strict=True)
        for seq in range(1, 7)
    )
    coach_of_room = {room.pk: coaches[circle.pk] for room, circle in zip(rooms, new_circles, strict=True)}
    Mention.objects.bulk_create(
        Mention(message=m, user=coach_of_room[m.room_id]) for m in messages if m.seq % 2
    )
    Concern.objects.bulk_create(
        Concern(
            member=members[c.pk][0],
            circle=c,
            programme=programme,
            to="coach",
            coach=coaches[c.pk],
            subject="Subject",
            text="Text",
        )
        for c in new_circles[::10]
    )


def test_the_programme_dashboard_runs_the_same_queries_for_2000_members(
    client, django_assert_max_num_queries
):
    admin = User.objects.create_user(username="admin", password="x")
    programme = Programme.objects.create(name="Big")
    programme.admins.add(admin)
    build(programme, admin, circles=2)
    client.force_login(admin)
    url = reverse("progress_programme", args=[programme.pk])

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert len(small) < 25

    build(programme, admin, circles=248, first=2)  # 250 circles, 2,000 members
    assert Membership.objects.filter(circle__programme=programme, role="member").count() == 2000
    started = time.monotonic()
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    page = response.content.decode()
    assert "Circle 0249" in page
    assert elapsed < 20, f"the dashboard took {elapsed:.1f} s"
