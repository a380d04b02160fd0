"""Every app tells people through `notify`: who is told of what, once, with the names the sentence needs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from circles import services as circles
from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.live.scheduling import schedule_session
from coaching.notifications.models import Notification
from coaching.progress import services as progress
from coaching.progress.reminders import remind_commitments

pytestmark = pytest.mark.django_db


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def puentes(demo) -> Circle:
    Notification.objects.all().delete()  # seating the demo told everyone already
    return Circle.objects.get(name="Puentes")


def test_it_tells_the_circle_once_about_a_new_weekly_series_but_not_its_coach(puentes):
    series = schedule_session(
        coach=user("lucia.coach"),
        circle=puentes,
        title="Círculo semanal",
        local_start=dt.datetime(2027, 10, 28, 18, 0),
        weeks=3,
    )
    told = Notification.objects.filter(kind="session_scheduled")
    members = set(Membership.objects.members().filter(circle=puentes).values_list("user_id", flat=True))
    assert set(told.values_list("recipient_id", flat=True)) == members
    assert told.count() == len(members)  # one per person for the whole series
    camilas = told.get(recipient=user("camila"))
    assert camilas.params == {
        "circle": "Puentes",
        "title": "Círculo semanal",
        "starts_at": "2027-10-28T16:00:00+00:00",
    }
    assert camilas.url == f"/sessions/{series[0].pk}/"
    assert camilas.dedupe_key == f"session:{series[0].pk}:scheduled"
    assert camilas.actor == user("lucia.coach")
    assert camilas.email_due_at is not None
    assert not told.filter(recipient=user("lucia.coach")).exists()


def test_it_tells_a_member_they_joined_and_moved_but_not_the_admin_who_did_it(puentes):
    admin, newcomer = user("ana.admin"), User.objects.create_user(username="zoe", email="zoe@example.org")
    circles.enrol(programme=puentes.programme, user=newcomer, role="member")
    harambee = Circle.objects.get(name="Harambee")
    Circle.objects.filter(pk=harambee.pk).update(capacity=50)
    harambee.refresh_from_db()
    seat = circles.assign_member(actor=admin, circle=harambee, member=newcomer)
    added = Notification.objects.get(recipient=newcomer)
    assert (added.kind, added.params["circle"], added.url) == (
        "circle_added",
        "Harambee",
        reverse("circle", args=[harambee.pk]),
    )
    assert added.dedupe_key == f"seat:{seat.pk}:added"
    Circle.objects.filter(pk=puentes.pk).update(capacity=50)
    puentes.refresh_from_db()
    moved_seat = circles.move_member(
        actor=admin, member=newcomer, from_circle=harambee, to_circle=puentes, reason="Time zone"
    )
    moved = Notification.objects.get(recipient=newcomer, kind="circle_moved")
    assert moved.params == {
        "from_circle": "Harambee",
        "circle": "Puentes",
        "programme": puentes.programme.name,
    }
    assert moved.dedupe_key == f"seat:{moved_seat.pk}:moved"
    assert not Notification.objects.filter(recipient=admin).exists()


def test_it_tells_a_new_coach_of_their_circle(puentes):
    newcoach = User.objects.create_user(username="nuevo", email="nuevo@example.org")
    circles.enrol(programme=puentes.programme, user=newcoach, role="coach")
    circles.change_coach(actor=user("ana.admin"), circle=puentes, coach=newcoach)
    (told,) = Notification.objects.filter(recipient=newcoach)
    assert (told.kind, told.params["circle"]) == ("circle_added", "Puentes")


def test_it_tells_a_member_of_a_commitment_due_tomorrow_and_then_overdue_once_each_on_their_calendar(
    puentes,
):
    camila = user("camila")  # Bogotá, UTC-5
    due = timezone.localdate() + dt.timedelta(days=10)
    commitment = progress.set_commitment(member=camila, circle=puentes, text="Call Ana", due_on=due)
    bogota = ZoneInfo("America/Bogota")
    # 23:00 in Bogotá two days before: still not "tomorrow" there (it is already the next day in UTC).
    assert remind_commitments(now=dt.datetime.combine(due - dt.timedelta(days=2), dt.time(23), bogota)) == 0
    day_before = dt.datetime.combine(due - dt.timedelta(days=1), dt.time(0, 5), bogota)
    assert remind_commitments(now=day_before) == 1
    assert remind_commitments(now=day_before + dt.timedelta(minutes=15)) == 0
    assert remind_commitments(now=dt.datetime.combine(due, dt.time(12), bogota)) == 0  # due today
    late = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(0, 5), bogota)
    assert remind_commitments(now=late) == 1
    assert remind_commitments(now=late + dt.timedelta(hours=5)) == 0
    told = Notification.objects.filter(recipient=camila).order_by("created_at")
    assert [(n.kind, n.dedupe_key) for n in told] == [
        ("commitment_due", f"commitment:{commitment.pk}:due"),
        ("commitment_overdue", f"commitment:{commitment.pk}:overdue"),
    ]
    assert told[0].params["text"] == "Call Ana"
    assert told[0].url == f"/commitments/#commitment-{commitment.pk}"
    assert told[0].email_due_at is None  # the digest carries commitments
    assert not Notification.objects.exclude(recipient=camila).exists()


def test_a_closed_commitment_is_not_reminded(puentes):
    camila = user("camila")
    due = timezone.localdate() + dt.timedelta(days=10)
    commitment = progress.set_commitment(member=camila, circle=puentes, text="Call Ana", due_on=due)
    from coaching.live import logs

    logs.close_commitment(member=camila, commitment=commitment, status="done", note="Done")
    assert remind_commitments(now=dt.datetime.combine(due, dt.time(12), dt.UTC) - dt.timedelta(days=1)) == 0
