"""Concerns: raised to the coach or the admins, answered, resolved; a history nobody can erase; escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db.models import ProtectedError

from coaching.notifications.models import Notification
from coaching.progress import concerns
from coaching.progress.errors import ProgressRuleError
from coaching.progress.models import Concern, ConcernEvent
from tests.progress.conftest import user

pytestmark = pytest.mark.django_db

UTC = dt.UTC
RAISED = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """Call a service and run what it schedules after its commit."""
    mail.outbox.clear()

    def call(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


def raise_to_coach(circle, *, now=RAISED) -> Concern:
    return concerns.raise_concern(
        member=user("kofi"),
        circle=circle,
        to="coach",
        subject="Session clash",
        text="My shift moved.",
        now=now,
    )


def kinds(concern: Concern) -> list[str]:
    return list(concern.events.values_list("kind", flat=True))


def test_a_concern_goes_from_open_to_answered_to_resolved_with_its_history(harambee):
    concern = raise_to_coach(harambee)
    assert (concern.status, concern.coach, concern.programme) == (
        "open",
        user("amani.coach"),
        harambee.programme,
    )
    concerns.answer_concern(
        responder=user("amani.coach"),
        concern=concern,
        text="Let us move it.",
        now=RAISED + dt.timedelta(hours=2),
    )
    concern.refresh_from_db()
    assert concern.status == "answered"
    assert concern.answered_at == RAISED + dt.timedelta(hours=2)
    concerns.follow_up_concern(member=user("kofi"), concern=concern, text="Wednesday works for me.")
    concern.refresh_from_db()
    assert concern.status == "open"  # the member's follow-up wants an answer again
    concerns.answer_concern(responder=user("amani.coach"), concern=concern, text="Wednesday it is.")
    concerns.resolve_concern(user=user("kofi"), concern=concern, note="Thanks!")
    concern.refresh_from_db()
    assert concern.status == "resolved"
    assert concern.answered_at == RAISED + dt.timedelta(hours=2)  # the first answer stays the first
    assert kinds(concern) == ["raised", "answered", "followed_up", "answered", "resolved"]
    with pytest.raises(ProgressRuleError, match="resolved"):
        concerns.answer_concern(responder=user("amani.coach"), concern=concern, text="More")


def test_the_coach_hears_of_a_new_concern_and_the_member_of_the_answer(harambee, told):
    concern = told(raise_to_coach, circle=harambee)
    (to_coach,) = Notification.objects.filter(recipient=user("amani.coach"), kind="concern_raised")
    assert (to_coach.actor, to_coach.params["subject"]) == (user("kofi"), "Session clash")
    assert to_coach.url == f"/progress/concerns/{concern.pk}/"
    assert to_coach.email_due_at is not None  # emailed (by the worker), not sent from here
    assert not mail.outbox
    assert not Notification.objects.filter(recipient=user("ana.admin")).exists()  # raised to the coach only
    told(concerns.answer_concern, responder=user("amani.coach"), concern=concern, text="On it.")
    answered = Notification.objects.get(recipient=user("kofi"), kind="concern_answered")
    assert (answered.actor, answered.params["subject"]) == (user("amani.coach"), "Session clash")
    assert answered.url == f"/progress/concerns/{concern.pk}/"


def test_a_concern_to_the_admins_reaches_the_admins_not_the_coach(harambee, told):
    concern = told(
        concerns.raise_concern,
        member=user("grace"),
        circle=harambee,
        to="admins",
        subject="Selling in the circle",
        text="Someone pitches.",
    )
    assert concern.coach is None
    assert Notification.objects.filter(recipient=user("ana.admin"), kind="concern_raised").exists()
    assert not Notification.objects.filter(recipient=user("amani.coach"), kind="concern_raised").exists()
    assert not concerns.may_handle(user=user("amani.coach"), concern=concern)
    assert not concerns.may_see(user=user("amani.coach"), concern=concern)
    concerns.answer_concern(responder=user("ana.admin"), concern=concern, text="We will talk to him.")
    assert list(concerns.visible_to_admin(user=user("ana.admin"))) == [concern]


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("grace", "answer"),  # another member
        ("lucia.coach", "answer"),  # another circle's coach
        ("ana.admin", "answer"),  # an admin, before it is escalated to them
        ("grace", "resolve"),
        ("amani.coach", "follow_up"),
    ],
)
def test_only_the_people_of_a_concern_act_on_it(harambee, who, action):
    concern = raise_to_coach(harambee)
    attempts = {
        "answer": lambda: concerns.answer_concern(responder=user(who), concern=concern, text="x"),
        "resolve": lambda: concerns.resolve_concern(user=user(who), concern=concern),
        "follow_up": lambda: concerns.follow_up_concern(member=user(who), concern=concern, text="x"),
    }
    with pytest.raises(ProgressRuleError):
        attempts[action]()
    assert kinds(concern) == ["raised"]


def test_a_concern_and_its_history_cannot_be_deleted_or_rewritten(harambee):
    concern = raise_to_coach(harambee)
    event = concern.events.get()
    for attempt in (
        concern.delete,
        event.delete,
        Concern.objects.all().delete,
        ConcernEvent.objects.all().delete,
        lambda: ConcernEvent.objects.update(text="rewritten"),
        event.save,
    ):
        with pytest.raises(PermissionError):
            attempt()
    with pytest.raises(ProtectedError):
        user("kofi").delete()  # a member with a concern on record cannot vanish with it
    assert kinds(concern) == ["raised"]


def test_a_member_raises_only_in_their_own_circle_and_to_a_coach_that_exists(harambee, puentes):
    with pytest.raises(ProgressRuleError):
        concerns.raise_concern(member=user("kofi"), circle=puentes, to="coach", subject="s", text="t")
    with pytest.raises(ProgressRuleError, match="coach or to the programme admins"):
        concerns.raise_concern(member=user("kofi"), circle=harambee, to="someone", subject="s", text="t")
    harambee.memberships.filter(role="coach").update(left_at=RAISED)
    with pytest.raises(ProgressRuleError, match="no coach yet"):
        concerns.raise_concern(member=user("kofi"), circle=harambee, to="coach", subject="s", text="t")
    assert not Concern.objects.exists()


def test_an_unanswered_concern_escalates_to_the_admins_after_the_configured_time_once(
    harambee, settings, django_capture_on_commit_callbacks
):
    settings.PROGRESS_CONCERN_ESCALATION_HOURS = 24
    concern = raise_to_coach(harambee)
    answered = raise_to_coach(harambee)
    concerns.answer_concern(responder=user("amani.coach"), concern=answered, text="Done.")
    Notification.objects.all().delete()

    def escalate(hours: float) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return concerns.escalate_overdue_concerns(now=RAISED + dt.timedelta(hours=hours))

    assert escalate(23.9) == 0
    assert escalate(24) == 1
    assert escalate(48) == 0  # once
    concern.refresh_from_db()
    assert concern.escalated_at == RAISED + dt.timedelta(hours=24)
    assert kinds(concern) == ["raised", "escalated"]
    assert concern.events.get(kind="escalated").actor is None
    escalated = Notification.objects.get(recipient=user("ana.admin"))
    assert (escalated.kind, escalated.params["subject"]) == ("concern_escalated", "Session clash")
    assert escalated.dedupe_key == f"concern:{concern.pk}:escalated"
    assert not Notification.objects.filter(recipient=user("amani.coach")).exists()  # it stays theirs too
    # Now the admins see it and may answer; the coach still may.
    assert list(concerns.visible_to_admin(user=user("ana.admin"))) == [concern]
    assert concerns.may_handle(user=user("ana.admin"), concern=concern)
    assert concerns.may_handle(user=user("amani.coach"), concern=concern)
    assert kinds(answered) == ["raised", "answered"]


def test_the_escalation_time_defaults_to_48_hours(settings):
    del settings.PROGRESS_CONCERN_ESCALATION_HOURS  # not set: the default applies
    assert concerns.escalation_after() == dt.timedelta(hours=48)


def test_admins_see_only_the_concerns_that_are_theirs(harambee):
    to_coach = raise_to_coach(harambee)
    assert list(concerns.visible_to_admin(user=user("ana.admin"))) == []
    assert not concerns.may_see(user=user("ana.admin"), concern=to_coach)
    assert list(concerns.visible_to_admin(user=user("lucia.coach"))) == []


def test_the_worker_escalates_every_quarter_hour_and_reminds_hourly(harambee, settings):
    from huey.contrib.djhuey import HUEY

    from coaching.progress import tasks

    def due(minute: int) -> set[str]:
        return {task.name for task in HUEY.read_periodic(dt.datetime(2026, 3, 2, 10, minute))}

    assert "escalate_unanswered_concerns" in due(15)
    assert "escalate_unanswered_concerns" not in due(16)
    assert "remind_about_missed_check_ins" in due(7)
    assert "remind_about_missed_check_ins" not in due(8)
    settings.PROGRESS_CONCERN_ESCALATION_HOURS = 0
    raise_to_coach(harambee)
    assert tasks.escalate_unanswered_concerns.call_local() == 1
    assert Concern.objects.get().escalated_at is not None
