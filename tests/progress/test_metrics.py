"""The pure arithmetic of progress, over fixtures whose answers were worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coaching.progress import metrics
from coaching.progress.metrics import Ask, Reply, Seat

UTC = dt.UTC
NAIROBI = ZoneInfo("Africa/Nairobi")  # UTC+3, no summer time
MADRID = ZoneInfo("Europe/Madrid")  # UTC+1 in March until the 29th
ACCRA = ZoneInfo("Africa/Accra")  # UTC+0
LOS_ANGELES = ZoneInfo("America/Los_Angeles")  # UTC-7 from 8 March 2026
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# Weeks and streaks -------------------------------------------------------------------------------------


def test_it_reads_the_week_on_the_persons_own_clock():
    sunday_night_utc = utc(2026, 3, 1, 22, 30)  # Sunday in UTC, already Monday 01:30 in Nairobi
    assert metrics.week_of(sunday_night_utc, UTC) == dt.date(2026, 2, 23)
    assert metrics.week_of(sunday_night_utc, NAIROBI) == dt.date(2026, 3, 2)
    assert metrics.week_label(dt.date(2026, 3, 2)) == "2026-W10"
    assert metrics.week_label(dt.date(2025, 12, 29)) == "2026-W01"


def test_a_missed_week_breaks_the_streak_and_the_longest_run_is_kept():
    checked = [
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 12),
        dt.date(2026, 1, 14),  # a second goal's check-in, the same week
        dt.date(2026, 1, 19),
        # the week of 26 January is missed
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 9),
    ]
    assert metrics.streaks(checked, current_week=dt.date(2026, 2, 9)) == metrics.Streak(current=2, longest=3)


def test_the_week_under_way_does_not_break_a_streak_until_it_is_over():
    checked = [dt.date(2026, 2, 2), dt.date(2026, 2, 9)]
    # Wednesday of the next week, no check-in yet: the streak still stands.
    assert metrics.streaks(checked, current_week=dt.date(2026, 2, 18)).current == 2
    # A week later, the week of 16 February was missed.
    assert metrics.streaks(checked, current_week=dt.date(2026, 2, 23)) == metrics.Streak(current=0, longest=2)


def test_no_check_ins_is_no_streak():
    assert metrics.streaks([], current_week=dt.date(2026, 2, 23)) == metrics.Streak(0, 0)


def test_check_ins_after_the_current_week_are_ignored():
    assert metrics.streaks([dt.date(2026, 3, 2)], current_week=dt.date(2026, 2, 23)) == metrics.Streak(0, 0)


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (utc(2026, 3, 9, 7, 0), NAIROBI, dt.date(2026, 3, 2)),  # Monday 10:00 in Nairobi
        (utc(2026, 3, 9, 7, 0), NEW_YORK, None),  # Monday 03:00 in New York: too early to nudge
        (utc(2026, 3, 9, 7, 0), AUCKLAND, dt.date(2026, 3, 2)),  # Monday 20:00 in Auckland
        (utc(2026, 3, 8, 23, 0), AUCKLAND, dt.date(2026, 3, 2)),  # Monday 12:00 in Auckland, Sunday in UTC
        (utc(2026, 3, 11, 12, 0), NEW_YORK, dt.date(2026, 3, 2)),
    ],
)
def test_the_reminder_is_about_last_week_from_monday_morning_on(now, zone, expected):
    assert metrics.reminder_week(now, zone) == expected


def test_weekly_average_of_several_goals():
    weeks = [dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)]
    scores = [(dt.date(2026, 3, 2), 4), (dt.date(2026, 3, 2), 7), (dt.date(2026, 3, 16), 8)]
    assert metrics.weekly_average(scores, weeks) == [5.5, None, 8.0]


# Response times ----------------------------------------------------------------------------------------

AMANI, LUCIA = 1, 2  # coaches in Nairobi and Madrid
NOW = utc(2026, 3, 4, 12, 0)


def amani_and_lucia() -> tuple[list[Ask], list[Reply]]:
    asks = [
        # Sunday 23:30 in Nairobi; Amani answers at 07:10 on Monday: 7 h 40 = 460 min, in Nairobi's week 9.
        Ask("circle", AMANI, utc(2026, 3, 1, 20, 30)),
        # Monday 01:30 in Nairobi (still Sunday in UTC), answered by the same 07:10 message: 340 min, week 10.
        Ask("circle", AMANI, utc(2026, 3, 1, 22, 30)),
        # A New York member at 21:00 on Monday, which is 05:00 on Tuesday in Nairobi: 210 min.
        Ask("thread:james", AMANI, utc(2026, 3, 3, 2, 0)),
        # Two questions before one answer: 50 and 30 min; a member's reply in between answers nothing.
        Ask("circle", AMANI, utc(2026, 3, 4, 9, 0)),
        Ask("circle", AMANI, utc(2026, 3, 4, 9, 20)),
        # Nobody has answered this one yet: it has waited 100 min so far.
        Ask("circle", AMANI, utc(2026, 3, 4, 10, 20)),
        # Monday 00:30 in Madrid; Lucía answers at 08:45 Madrid time: 495 min. Then one in 40 min.
        Ask("puentes", LUCIA, utc(2026, 3, 1, 23, 30)),
        Ask("puentes", LUCIA, utc(2026, 3, 2, 8, 0)),
    ]
    replies = [
        Reply("circle", AMANI, utc(2026, 3, 2, 4, 10)),
        Reply("thread:other", AMANI, utc(2026, 3, 3, 3, 0)),  # another conversation: not an answer
        Reply("thread:james", AMANI, utc(2026, 3, 3, 5, 30)),
        Reply("circle", 99, utc(2026, 3, 4, 9, 30)),  # a member, not the coach
        Reply("circle", AMANI, utc(2026, 3, 4, 9, 50)),
        Reply("puentes", LUCIA, utc(2026, 3, 2, 7, 45)),
        Reply("puentes", LUCIA, utc(2026, 3, 2, 8, 40)),
    ]
    return asks, replies


def test_each_question_is_paired_with_the_coachs_next_message_in_that_conversation():
    asks, replies = amani_and_lucia()
    responses = metrics.pair_responses(asks, replies, now=NOW)
    minutes = {(r.ask.room, r.ask.at): r.minutes for r in responses}
    assert minutes == {
        ("circle", utc(2026, 3, 1, 20, 30)): 460,
        ("circle", utc(2026, 3, 1, 22, 30)): 340,
        ("thread:james", utc(2026, 3, 3, 2, 0)): 210,
        ("circle", utc(2026, 3, 4, 9, 0)): 50,
        ("circle", utc(2026, 3, 4, 9, 20)): 30,
        ("circle", utc(2026, 3, 4, 10, 20)): 100,
        ("puentes", utc(2026, 3, 1, 23, 30)): 495,
        ("puentes", utc(2026, 3, 2, 8, 0)): 40,
    }
    assert [r.answered for r in responses if r.ask.at == utc(2026, 3, 4, 10, 20)] == [False]


def test_weekly_median_and_p90_per_coach_in_the_coachs_own_week():
    asks, replies = amani_and_lucia()
    weeks = metrics.weekly_response_times(
        metrics.pair_responses(asks, replies, now=NOW), zones={AMANI: NAIROBI, LUCIA: MADRID}
    )
    assert [(w.coach, w.label, w.count, w.waiting, w.median_minutes, w.p90_minutes) for w in weeks] == [
        (AMANI, "2026-W09", 1, 0, 460, 460),
        # 30, 50, 100, 210, 340: the median is 100; the 90th percentile is the 5th of 5 (nearest rank).
        (AMANI, "2026-W10", 5, 1, 100, 340),
        # Both asked in Madrid's week 10 (the first one on Sunday in UTC): median (40 + 495) / 2.
        (LUCIA, "2026-W10", 2, 0, 267.5, 495),
    ]
    assert [w.meets_goal for w in weeks] == [False, False, False]


def test_a_reply_at_the_same_instant_as_the_question_does_not_answer_it():
    at = utc(2026, 3, 2, 9, 0)
    (response,) = metrics.pair_responses(
        [Ask("r", 1, at)], [Reply("r", 1, at)], now=at + dt.timedelta(hours=1)
    )
    assert not response.answered
    assert response.minutes == 60


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([7], 7, 7),
        ([1, 3, 2, 10], 2.5, 10),
        (list(range(1, 11)), 5.5, 9),
        (list(range(1, 21)), 10.5, 18),
    ],
)
def test_median_and_nearest_rank_percentile(values, median, p90):
    assert metrics.median(values) == median
    assert metrics.percentile(values, 90) == p90


# Attendance, follow-through, quiet --------------------------------------------------------------------


def test_attendance_with_partial_presence():
    session = 90 * 60
    seats = [
        Seat(True, session, session),  # the whole session
        Seat(True, 45 * 60, session),  # half of it
        Seat(False, 0, session),  # absent
        Seat(True, 0, session),  # marked present by the coach, no time measured: the coach's word counts
        Seat(True, 100 * 60, session),  # stayed on after the end: capped at the whole session
    ]
    rate = metrics.attendance(seats)
    assert (rate.expected, rate.attended) == (5, 4)
    assert rate.rate == pytest.approx(0.8)
    assert rate.time_share == pytest.approx((1 + 0.5 + 0 + 1 + 1) / 5)
    assert metrics.percent(rate.time_share) == 70


def test_no_expected_seats_is_no_rate_rather_than_zero():
    assert metrics.attendance([]).rate is None
    assert metrics.percent(None) is None


def test_on_time_is_judged_on_the_members_own_calendar():
    closed = utc(2026, 3, 11, 3, 0)  # still 10 March, 20:00, in Los Angeles; 11 March in Accra
    in_la = metrics.CommitmentRow("done", dt.date(2026, 3, 10), closed, LOS_ANGELES)
    in_accra = metrics.CommitmentRow("done", dt.date(2026, 3, 10), closed, ACCRA)
    assert metrics.kept_on_time(in_la)
    assert not metrics.kept_on_time(in_accra)


def test_follow_through_counts_what_has_come_due_or_closed():
    today = dt.date(2026, 3, 12)
    rows = [
        metrics.CommitmentRow("done", dt.date(2026, 3, 10), utc(2026, 3, 9, 12), ACCRA),  # kept
        metrics.CommitmentRow("done", dt.date(2026, 3, 10), utc(2026, 3, 11, 12), ACCRA),  # late
        metrics.CommitmentRow("dropped", dt.date(2026, 3, 20), utc(2026, 3, 11, 12), ACCRA),  # closed early
        metrics.CommitmentRow("open", dt.date(2026, 3, 11), None, ACCRA),  # overdue
        metrics.CommitmentRow("open", dt.date(2026, 3, 12), None, ACCRA),  # due today: not yet due
        metrics.CommitmentRow("done", dt.date(2026, 3, 30), utc(2026, 3, 11, 12), ACCRA),  # done early: kept
    ]
    assert metrics.follow_through(rows, today=today) == metrics.FollowThrough(due=5, kept=2, overdue=1)
    assert metrics.follow_through(rows, today=today).rate == pytest.approx(0.4)


def test_a_member_with_nothing_for_14_days_has_gone_quiet_but_a_newcomer_has_not():
    now = utc(2026, 3, 20, 12)
    joined = now - dt.timedelta(days=60)
    assert metrics.gone_quiet([now - dt.timedelta(days=15), None], seated_since=joined, now=now)
    assert not metrics.gone_quiet(
        [now - dt.timedelta(days=15), now - dt.timedelta(days=3)], seated_since=joined, now=now
    )
    assert metrics.gone_quiet([None, None], seated_since=joined, now=now)
    assert not metrics.gone_quiet([None], seated_since=now - dt.timedelta(days=5), now=now)
