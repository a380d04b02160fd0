"""Goals, weekly check-ins, a member's own commitments, kudos and the missed-week reminder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from coaching.live import logs
from coaching.live.errors import SessionRuleError
from coaching.live.models import Commitment
from coaching.notifications.models import Notification
from coaching.progress import services
from coaching.progress.errors import ProgressRuleError
from coaching.progress.models import CheckIn, CheckInReminder, Goal, Kudos
from tests.progress.conftest import user

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def goal_of(username: str, *, now: dt.datetime | None = None) -> Goal:
    return services.set_goal(
        member=user(username),
        title="Lead the launch",
        why="My chance to lead",
        measure="Checklist items done",
        now=now,
    )


def test_a_member_sets_a_goal_with_what_why_and_how_it_is_measured(demo):
    goal = services.set_goal(
        member=user("kofi"),
        title="  Lead the launch ",
        why="My chance",
        measure="Checklist items done",
        target_date=dt.date(2099, 1, 1),
    )
    assert (goal.title, goal.why, goal.measure, goal.target_date) == (
        "Lead the launch",
        "My chance",
        "Checklist items done",
        dt.date(2099, 1, 1),
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"title": " "}, "bad_title"),
        ({"measure": ""}, "bad_measure"),
        ({"title": "x" * 201}, "bad_title"),
        ({"target_date": dt.date(2000, 1, 1)}, "past_target"),
    ],
)
def test_a_goal_needs_a_title_a_measure_and_a_future_target(demo, changes, code):
    fields = {"title": "Lead", "measure": "Items", **changes}
    with pytest.raises(ProgressRuleError) as error:
        services.set_goal(member=user("kofi"), **fields)
    assert error.value.code == code


def test_only_a_member_of_a_circle_sets_goals(demo):
    for username in ["amani.coach", "ana.admin", "aisha"]:  # a coach, an admin, a member not yet placed
        with pytest.raises(ProgressRuleError, match="Only a member of a circle"):
            goal_of(username)


def test_one_check_in_per_goal_per_week_and_this_weeks_can_be_changed(demo):
    goal = goal_of("kofi")
    monday = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)  # Accra is on UTC
    services.check_in(member=user("kofi"), goal=goal, score=4, note="slow start", now=monday)
    changed = services.check_in(member=user("kofi"), goal=goal, score=6, now=monday + dt.timedelta(days=4))
    assert CheckIn.objects.filter(goal=goal).count() == 1
    assert (changed.week, changed.score, changed.note) == (dt.date(2026, 3, 2), 6, "")
    services.check_in(member=user("kofi"), goal=goal, score=7, now=monday + dt.timedelta(days=7))
    assert list(CheckIn.objects.filter(goal=goal).values_list("week", "score")) == [
        (dt.date(2026, 3, 2), 6),
        (dt.date(2026, 3, 9), 7),
    ]


def test_the_week_of_a_check_in_is_the_members_own(demo):
    james = user("james")  # New York
    goal = goal_of("james")
    # Monday 02:00 UTC is still Sunday evening in New York: it belongs to the week before.
    check_in = services.check_in(member=james, goal=goal, score=5, now=dt.datetime(2026, 3, 9, 2, tzinfo=UTC))
    assert check_in.week == dt.date(2026, 3, 2)


@pytest.mark.parametrize("score", [0, 11, "7"])
def test_a_score_is_a_whole_number_from_1_to_10(demo, score):
    with pytest.raises(ProgressRuleError, match="from 1 to 10"):
        services.check_in(member=user("kofi"), goal=goal_of("kofi"), score=score)


def test_nobody_checks_in_on_someone_elses_goal_or_a_closed_one(demo):
    goal = goal_of("kofi")
    with pytest.raises(ProgressRuleError, match="not one of your goals"):
        services.check_in(member=user("grace"), goal=goal, score=5)
    services.close_goal(member=user("kofi"), goal=goal)
    with pytest.raises(ProgressRuleError, match="closed"):
        services.check_in(member=user("kofi"), goal=goal, score=5)


def test_a_member_sets_their_own_commitment_and_closes_it_with_a_note(demo, harambee):
    kofi = user("kofi")
    commitment = services.set_commitment(
        member=kofi, circle=harambee, text="Practise the talk", due_on=dt.date(2099, 1, 1)
    )
    assert (commitment.created_by, commitment.session, commitment.status) == (kofi, None, "open")
    with pytest.raises(SessionRuleError, match="how it went"):
        logs.close_commitment(member=kofi, commitment=commitment, status="done", note=" ")
    logs.close_commitment(member=kofi, commitment=commitment, status="done", note="Twice, on video")
    commitment.refresh_from_db()
    assert (commitment.status, commitment.close_note) == ("done", "Twice, on video")
    assert commitment.closed_at is not None
    with pytest.raises(SessionRuleError, match="already closed"):
        logs.close_commitment(member=kofi, commitment=commitment, status="dropped", note="again")


def test_a_member_cannot_commit_in_a_circle_they_are_not_in_or_in_the_past(demo, harambee, puentes):
    with pytest.raises(ProgressRuleError):
        services.set_commitment(member=user("kofi"), circle=puentes, text="x", due_on=dt.date(2099, 1, 1))
    with pytest.raises(ProgressRuleError, match="today or later"):
        services.set_commitment(member=user("kofi"), circle=harambee, text="x", due_on=dt.date(2000, 1, 1))
    assert not Commitment.objects.exists()


def test_kudos_thank_a_member_of_the_same_circle_for_something_specific(
    demo, harambee, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        kudos = services.give_kudos(
            giver=user("grace"), receiver=user("kofi"), circle=harambee, contribution="Shared his checklist"
        )
    assert (kudos.giver, kudos.receiver, kudos.contribution) == (
        user("grace"),
        user("kofi"),
        "Shared his checklist",
    )
    thanks = Notification.objects.get(recipient=user("kofi"), kind="kudos")
    assert (thanks.actor, thanks.url, thanks.dedupe_key) == (user("grace"), "/progress/", f"kudos:{kudos.pk}")
    assert thanks.email_due_at is None  # kudos reach email only through the daily digest
    assert not mail.outbox


@pytest.mark.parametrize(
    ("giver", "receiver", "contribution", "match"),
    [
        ("grace", "grace", "me", "someone else"),
        ("grace", "camila", "help", "member of your circle"),  # Camila sits in Puentes
        ("grace", "amani.coach", "help", "member of your circle"),  # the coach is not a peer
        ("grace", "kofi", "  ", "Say what they did"),
        ("amani.coach", "kofi", "help", "Only a member"),
    ],
)
def test_kudos_rules(demo, harambee, giver, receiver, contribution, match):
    with pytest.raises(ProgressRuleError, match=match):
        services.give_kudos(
            giver=user(giver), receiver=user(receiver), circle=harambee, contribution=contribution
        )
    assert not Kudos.objects.exists()


def test_a_missed_week_brings_one_gentle_reminder(demo, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    kofi, grace = user("kofi"), user("grace")  # Accra (UTC+0) and Nairobi (UTC+3)
    set_on = dt.datetime(2026, 2, 25, 12, tzinfo=UTC)  # a Wednesday: the week after is the first full one
    _kofi_goal, grace_goal = goal_of("kofi", now=set_on), goal_of("grace", now=set_on)
    services.check_in(member=grace, goal=grace_goal, score=6, now=dt.datetime(2026, 3, 4, 12, tzinfo=UTC))

    def remind(month: int, day: int, hour: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.remind_missed_check_ins(now=dt.datetime(2026, month, day, hour, tzinfo=UTC))

    # Monday 2 March at 10:00 UTC: last week (of 23 February) had the goal set mid-week, so nobody is due.
    assert remind(3, 2, 10) == 0
    # Monday 9 March, 08:00 UTC: 08:00 in Accra (too early), 11:00 in Nairobi (Grace checked in).
    assert remind(3, 9, 8) == 0
    # An hour later it is 09:00 in Accra: Kofi missed the week of 2 March.
    assert remind(3, 9, 9) == 1
    # The next runs that week remind nobody again.
    assert remind(3, 9, 10) == 0
    assert remind(3, 12, 10) == 0

    assert list(CheckInReminder.objects.values_list("member__username", "week")) == [
        ("kofi", dt.date(2026, 3, 2))
    ]
    reminder = Notification.objects.get(recipient=kofi, kind="check_in_missed")
    assert reminder.params == {"week": "2026-W10"}
    assert reminder.url == "/progress/"
    assert not mail.outbox  # the daily digest carries it
    assert not Notification.objects.filter(recipient=grace, kind="check_in_missed").exists()


def test_the_reminder_skips_closed_goals_and_people_who_left_and_reads_in_the_members_language(
    demo, django_capture_on_commit_callbacks
):
    from coaching.notifications.texts import describe

    set_on = dt.datetime(2026, 2, 18, 12, tzinfo=UTC)
    goal_of("camila", now=set_on)  # Camila reads the site in Spanish
    closed = goal_of("mateo", now=set_on)
    services.close_goal(member=user("mateo"), goal=closed)
    goal_of("valentina", now=set_on)
    user("valentina").memberships.update(left_at=set_on)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_missed_check_ins(now=dt.datetime(2026, 3, 4, 15, tzinfo=UTC)) == 1
    (reminder,) = Notification.objects.filter(kind="check_in_missed")
    assert reminder.recipient == user("camila")
    with translation.override("es"):
        assert describe(reminder, zone=user("camila").zone) == gettext(
            "How did week %(week)s go? Check in on your goals"
        ) % {"week": "2026-W09"}
