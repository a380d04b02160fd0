"""The numbers behind the dashboards, from real rows: response times, attendance, check-ins, commitments."""

from __future__ import annotations

import datetime as dt

import pytest

from chat.access import access_room
from chat.models import Message
from chat.threads import open_thread
from circles.models import Circle, Membership
from coaching.live import logs
from coaching.live.models import Commitment
from coaching.progress import concerns, metrics, selectors, services
from tests.progress.conftest import attended, ended_session, say, user

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 18, 12, tzinfo=UTC)  # a Wednesday; this week starts on 16 March


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def seated_since_january(demo):
    """The demo's seats date from the day the demo was created; these tests happen in early 2026."""
    Membership.objects.update(joined_at=utc(2026, 1, 1))


@pytest.fixture
def conversations(harambee, seated_since_january):
    """Questions to Amani (Nairobi, UTC+3) in the circle, a 1:1 thread and a concern, with his answers."""
    room = access_room(user("amani.coach"), harambee.pk)
    james = open_thread(coach=user("amani.coach"), member=user("james")).room
    # Sunday 23:30 in Nairobi, answered at 07:10 on Monday: 460 min, in Nairobi's week of 23 February.
    say("grace", room, "@amani.coach how do I price a workshop?", utc(2026, 3, 1, 20, 30))
    say("amani.coach", room, "From the value to the client.", utc(2026, 3, 2, 4, 10))
    # James in New York at 21:00 on Monday (05:00 on Tuesday in Nairobi), answered at 08:30 Nairobi: 210 min.
    say("james", james, "Can I join late on Thursday?", utc(2026, 3, 3, 2, 0))
    say("amani.coach", james, "Of course.", utc(2026, 3, 3, 5, 30))
    # Not questions to the coach: a message without a mention, a mention of a peer, a deleted question.
    say("kofi", room, "Launch checklist at 80%.", utc(2026, 3, 3, 9, 0))
    say("kofi", room, "@grace thanks for the tip", utc(2026, 3, 3, 9, 5))
    deleted = say("daniel", room, "@amani.coach never mind", utc(2026, 3, 3, 9, 10))
    Message.objects.filter(pk=deleted.pk).update(deleted_at=utc(2026, 3, 3, 9, 11))
    # A concern at 12:00 UTC, answered by Amani at 13:30: 90 min.
    concern = concerns.raise_concern(
        member=user("kofi"),
        circle=harambee,
        to="coach",
        subject="Clash",
        text="My shift.",
        now=utc(2026, 3, 3, 12),
    )
    concerns.answer_concern(
        responder=user("amani.coach"), concern=concern, text="Ok", now=utc(2026, 3, 3, 13, 30)
    )
    # Still waiting at NOW: Wednesday 18 March 09:00 UTC, 180 min so far.
    say("daniel", room, "@amani.coach are the slides shared?", utc(2026, 3, 18, 9, 0))
    return room


def test_response_times_per_coach_per_week_from_rooms_threads_and_concerns(
    harambee, conversations, django_assert_max_num_queries
):
    coach = user("amani.coach")
    weeks = metrics.recent_weeks(NOW.astimezone(coach.zone).date(), 4)
    with django_assert_max_num_queries(4):
        (amani,) = selectors.response_times(
            coaches=[coach], circles=Circle.objects.filter(pk=harambee.pk), weeks=weeks, now=NOW
        )
    assert weeks == [dt.date(2026, 2, 23), dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)]
    summary = [
        (w.label, w.count, w.waiting, w.median_minutes, w.p90_minutes) if w else None for w in amani.weeks
    ]
    assert summary == [
        ("2026-W09", 1, 0, 460, 460),
        # 210 (thread) and 90 (concern): median 150, 90th percentile 210.
        ("2026-W10", 2, 0, 150, 210),
        None,
        ("2026-W12", 1, 1, 180, 180),
    ]


def test_questions_in_another_programmes_circle_are_not_counted(harambee, puentes, conversations):
    weeks = metrics.recent_weeks(NOW.date(), 4)
    found = selectors.response_times(
        coaches=[user("amani.coach")], circles=Circle.objects.filter(pk=puentes.pk), weeks=weeks, now=NOW
    )
    assert [w for w in found[0].weeks if w] == []


@pytest.fixture
def harambee_sessions(harambee, seated_since_january):
    """Two ended sessions of 90 minutes; Daniel joined the circle between them."""
    first = ended_session(harambee, utc(2026, 3, 5, 13))
    second = ended_session(harambee, utc(2026, 3, 12, 13))
    Membership.objects.filter(user=user("daniel")).update(joined_at=utc(2026, 3, 6))
    attended(first, "kofi", minutes=90)
    attended(first, "grace", minutes=45)
    attended(first, "fatima", minutes=0)  # marked present by the coach
    attended(first, "daniel", minutes=100)  # a guest before he joined: not an expected seat
    # James: no row at all, so absent.
    attended(second, "kofi", minutes=30)
    attended(second, "grace", minutes=0, present=False)
    return first, second


def test_programme_attendance_counts_expected_seats_and_partial_presence(programme, harambee_sessions):
    dashboard = selectors.programme_dashboard(programme=programme, admin=user("ana.admin"), now=NOW)
    harambee = next(row for row in dashboard.circles if row.circle.name == "Harambee")
    # Session 1: 4 expected (Daniel had not joined), 3 came: 1 + 0.5 + 1. Session 2: 5 expected, Kofi for 1/3.
    assert (harambee.attendance.expected, harambee.attendance.attended) == (9, 4)
    assert harambee.attendance.time_credit == pytest.approx(2.5 + 1 / 3)
    assert metrics.percent(harambee.attendance.rate) == 44
    by_week = dict(zip(dashboard.weeks, dashboard.weekly_attendance, strict=True))
    assert (by_week[dt.date(2026, 3, 2)].expected, by_week[dt.date(2026, 3, 2)].attended) == (4, 3)
    assert (by_week[dt.date(2026, 3, 9)].expected, by_week[dt.date(2026, 3, 9)].attended) == (5, 1)
    assert all(row.attendance.rate is None for row in dashboard.circles if row.circle.name != "Harambee")


def test_the_sql_attendance_agrees_with_the_pure_arithmetic(harambee, harambee_sessions):
    first, _second = harambee_sessions
    dashboard = selectors.circle_dashboard(circle=harambee, coach=user("amani.coach"), now=NOW)
    by_session = {s.session.pk: s.rate for s in dashboard.sessions}
    assert by_session[first.pk] == metrics.attendance(
        [
            metrics.Seat(True, 5400, 5400),
            metrics.Seat(True, 2700, 5400),
            metrics.Seat(False, 0, 5400),
            metrics.Seat(True, 0, 5400),
        ]
    )
    programme = selectors.programme_dashboard(programme=harambee.programme, admin=user("ana.admin"), now=NOW)
    row = next(r for r in programme.circles if r.circle.pk == harambee.pk)
    pure = metrics.attendance(
        [metrics.Seat(True, 5400, 5400), metrics.Seat(True, 2700, 5400), metrics.Seat(False, 0, 5400)]
        + [metrics.Seat(True, 0, 5400)]
        + [metrics.Seat(True, 1800, 5400)]
        + [metrics.Seat(False, 0, 5400)] * 4
    )
    assert (row.attendance.expected, row.attendance.attended) == (pure.expected, pure.attended)
    assert row.attendance.time_credit == pytest.approx(pure.time_credit)


@pytest.fixture
def check_ins(seated_since_january):
    """Kofi checks in two of the four complete weeks, Grace all four."""
    set_on = utc(2026, 2, 1)
    kofi = services.set_goal(member=user("kofi"), title="Launch", measure="Items", now=set_on)
    grace = services.set_goal(member=user("grace"), title="Shop", measure="Steps", now=set_on)
    for monday in [utc(2026, 2, 16), utc(2026, 2, 23), utc(2026, 3, 2), utc(2026, 3, 9)]:
        services.check_in(member=user("grace"), goal=grace, score=7, now=monday + dt.timedelta(days=2))
    for monday in [utc(2026, 2, 16), utc(2026, 3, 2)]:
        services.check_in(member=user("kofi"), goal=kofi, score=5, now=monday + dt.timedelta(days=2))
    services.check_in(member=user("kofi"), goal=kofi, score=6, now=NOW)  # this week: not yet counted


def test_the_check_in_rate_counts_member_weeks_over_the_last_four_complete_weeks(programme, check_ins):
    dashboard = selectors.programme_dashboard(programme=programme, admin=user("ana.admin"), now=NOW)
    assert dashboard.rate_weeks == [
        dt.date(2026, 2, 16),
        dt.date(2026, 2, 23),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 9),
    ]
    harambee = next(row for row in dashboard.circles if row.circle.name == "Harambee")
    assert (harambee.checked_weeks, harambee.expected_weeks) == (6, 8)
    assert metrics.percent(harambee.check_in_rate) == 75
    assert dashboard.total.check_in_rate == pytest.approx(0.75)


def test_follow_through_and_message_counts_per_circle(programme, harambee, harambee_sessions):
    first, _second = harambee_sessions
    drafts = [
        logs.CommitmentDraft(member=user("kofi"), text="Send proposals", due_on=dt.date(2026, 3, 8)),
        logs.CommitmentDraft(member=user("grace"), text="Draft budget", due_on=dt.date(2026, 3, 8)),
        logs.CommitmentDraft(member=user("james"), text="Book mentor", due_on=dt.date(2026, 3, 10)),
    ]
    kofi, grace, _james = logs.add_commitments(coach=user("amani.coach"), session=first, drafts=drafts)
    for commitment, closed in [(kofi, utc(2026, 3, 7, 18)), (grace, utc(2026, 3, 10, 18))]:
        logs.close_commitment(member=commitment.member, commitment=commitment, status="done", note="ok")
        Commitment.objects.filter(pk=commitment.pk).update(closed_at=closed)
    room = access_room(user("kofi"), harambee.pk)
    for day in (3, 10, 17):
        say("kofi", room, "An update", utc(2026, 3, day, 10))
    say("kofi", room, "Long ago", utc(2026, 1, 5, 10))
    gone = say("kofi", room, "Oops", utc(2026, 3, 17, 11))
    Message.objects.filter(pk=gone.pk).update(deleted_at=utc(2026, 3, 17, 11, 1))

    dashboard = selectors.programme_dashboard(programme=programme, admin=user("ana.admin"), now=NOW)
    row = next(r for r in dashboard.circles if r.circle.pk == harambee.pk)
    assert row.follow_through == metrics.FollowThrough(due=3, kept=1, overdue=1)
    assert row.messages == 3


def test_the_coach_sees_trends_streaks_overdue_and_who_has_gone_quiet(harambee, check_ins, harambee_sessions):
    logs.add_commitments(
        coach=user("amani.coach"),
        session=harambee_sessions[0],
        drafts=[logs.CommitmentDraft(member=user("james"), text="Book mentor", due_on=dt.date(2026, 3, 10))],
    )
    room = access_room(user("kofi"), harambee.pk)
    say("james", room, "Back from travelling", utc(2026, 3, 10, 10))  # 8 days ago
    say(
        "daniel",
        open_thread(coach=user("amani.coach"), member=user("daniel")).room,
        "Hi",
        utc(2026, 3, 17, 9),
    )
    services.give_kudos(giver=user("grace"), receiver=user("kofi"), circle=harambee, contribution="Checklist")

    dashboard = selectors.circle_dashboard(circle=harambee, coach=user("amani.coach"), now=NOW)
    rows = {row.member.username: row for row in dashboard.rows}
    assert list(rows) == ["daniel", "fatima", "grace", "james", "kofi"]  # by name
    assert rows["kofi"].trend[-5:] == [5.0, None, 5.0, None, 6.0]
    assert rows["kofi"].streak == metrics.Streak(current=1, longest=1)
    assert rows["grace"].streak == metrics.Streak(current=4, longest=4)  # this week is still open
    assert rows["kofi"].checked_in_this_week
    assert not rows["grace"].checked_in_this_week
    assert [c.text for c in dashboard.overdue] == ["Book mentor"]
    assert rows["kofi"].kudos_received == 1
    # Quiet: no message and no check-in for 14 days. Fatima has nothing; Grace checked in on 11 March.
    assert {name for name, row in rows.items() if row.quiet} == {"fatima"}
    assert rows["daniel"].last_seen == utc(2026, 3, 17, 9)
    assert (
        metrics.percent(rows["kofi"].attendance.time_share) == 67
    )  # all of the first, a third of the second


def test_the_circle_dashboard_query_count_is_fixed(
    harambee, check_ins, harambee_sessions, django_assert_max_num_queries
):
    coach = user("amani.coach")
    with django_assert_max_num_queries(11):
        selectors.circle_dashboard(circle=harambee, coach=coach, now=NOW)


def test_goals_this_week_in_one_query(demo, django_assert_num_queries):
    goal = services.set_goal(member=user("kofi"), title="Launch", measure="Items")
    services.check_in(member=user("kofi"), goal=goal, score=8)
    kofi = user("kofi")
    with django_assert_num_queries(1):
        (found,) = selectors.goals_this_week(member=kofi)
    assert found.score_this_week == 8
