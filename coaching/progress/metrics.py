"""Progress arithmetic on plain data (no ORM, no I/O): weeks, streaks, response-time pairing, medians, rates.

Selectors feed these functions rows; the tests feed them hand-computed fixtures.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

WEEK = dt.timedelta(days=7)
RESPONSE_GOAL_MINUTES = 90
QUIET_AFTER = dt.timedelta(days=14)


# Weeks ------------------------------------------------------------------------------------------------


def monday_of(day: dt.date) -> dt.date:
    """The Monday that starts the ISO week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def week_of(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The Monday of the ISO week `moment` falls in, read on the wall clock of `zone`."""
    return monday_of(moment.astimezone(zone).date())


def week_label(monday: dt.date) -> str:
    """An ISO week as people write it, e.g. "2026-W07"."""
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def recent_weeks(current: dt.date, count: int) -> list[dt.date]:
    """The Mondays of the `count` weeks ending with the week of `current`, oldest first."""
    last = monday_of(current)
    return [last - WEEK * back for back in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class Streak:
    """Consecutive weeks with a check-in: the run still going, and the longest run ever."""

    current: int
    longest: int


def streaks(weeks: Iterable[dt.date], *, current_week: dt.date) -> Streak:
    """Streaks over the weeks with a check-in; the week under way breaks no streak until it ends."""
    this_week = monday_of(current_week)
    checked = {monday_of(week) for week in weeks if week <= this_week}
    longest = run = 0
    previous: dt.date | None = None
    for week in sorted(checked):
        run = run + 1 if previous is not None and week - previous == WEEK else 1
        longest = max(longest, run)
        previous = week
    cursor = this_week if this_week in checked else this_week - WEEK
    current = 0
    while cursor in checked:
        current += 1
        cursor -= WEEK
    return Streak(current=current, longest=longest)


REMIND_FROM = dt.time(9, 0)  # nobody wants a nudge at midnight on a Sunday


def reminder_week(now: dt.datetime, zone: dt.tzinfo) -> dt.date | None:
    """Last week's Monday once it is Monday 09:00 or later in `zone`; None before (too early to nudge)."""
    this_week = week_of(now, zone)
    local = now.astimezone(zone)
    if local.date() == this_week and local.time() < REMIND_FROM:
        return None
    return this_week - WEEK


def week_start(monday: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first moment of the week, on the wall clock of `zone`."""
    return dt.datetime.combine(monday, dt.time.min, tzinfo=zone)


def weekly_average(scores: Iterable[tuple[dt.date, int]], weeks: Sequence[dt.date]) -> list[float | None]:
    """The mean score of each week in `weeks` (None for a week without a check-in)."""
    sums: dict[dt.date, list[int]] = defaultdict(list)
    for week, score in scores:
        sums[monday_of(week)].append(score)
    return [round(sum(sums[w]) / len(sums[w]), 1) if sums.get(w) else None for w in weeks]


# Response times ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """Something a member asked a coach at `at`, in a conversation `room` (a circle room, thread, concern)."""

    room: Hashable
    coach: int
    at: dt.datetime


@dataclass(frozen=True)
class Reply:
    """Something a person said in a conversation `room` at `at`."""

    room: Hashable
    author: int
    at: dt.datetime


@dataclass(frozen=True)
class Response:
    """An ask and the asked coach's first reply after it; `answered_at` is None while nobody has answered."""

    ask: Ask
    answered_at: dt.datetime | None
    minutes: float  # until the answer, or until now while still waiting

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


def pair_responses(asks: Iterable[Ask], replies: Iterable[Reply], *, now: dt.datetime) -> list[Response]:
    """Each ask with the asked coach's first reply strictly after it in the same room, or none yet."""
    # Several asks before one reply are all answered by it. An ask nobody has answered yet counts as
    # waiting until `now`: leaving it out would reward a coach for not answering at all.
    times: dict[tuple[Hashable, int], list[dt.datetime]] = defaultdict(list)
    for reply in replies:
        times[(reply.room, reply.author)].append(reply.at)
    for moments in times.values():
        moments.sort()
    responses = []
    for ask in sorted(asks, key=lambda a: a.at):
        moments = times.get((ask.room, ask.coach), [])
        index = bisect_right(moments, ask.at)
        answered_at = moments[index] if index < len(moments) else None
        until = answered_at if answered_at is not None else max(now, ask.at)
        responses.append(
            Response(ask=ask, answered_at=answered_at, minutes=(until - ask.at).total_seconds() / 60)
        )
    return responses


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None for no values."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `pct`% of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class ResponseWeek:
    """A coach's response times in one ISO week of their own zone (the week the question was asked)."""

    coach: int
    week: dt.date
    count: int
    waiting: int
    median_minutes: float | None
    p90_minutes: float | None

    @property
    def label(self) -> str:
        return week_label(self.week)

    @property
    def meets_goal(self) -> bool:
        return self.median_minutes is not None and self.median_minutes <= RESPONSE_GOAL_MINUTES


def weekly_response_times(
    responses: Iterable[Response], *, zones: Mapping[int, dt.tzinfo]
) -> list[ResponseWeek]:
    """Median and 90th percentile per coach per week (of the coach's zone), by coach then week."""
    groups: dict[tuple[int, dt.date], list[Response]] = defaultdict(list)
    for response in responses:
        coach = response.ask.coach
        groups[(coach, week_of(response.ask.at, zones.get(coach, dt.UTC)))].append(response)
    weeks = []
    for (coach, week), group in sorted(groups.items(), key=lambda item: item[0]):
        minutes = [r.minutes for r in group]
        weeks.append(
            ResponseWeek(
                coach=coach,
                week=week,
                count=len(group),
                waiting=sum(1 for r in group if not r.answered),
                median_minutes=_round(median(minutes)),
                p90_minutes=_round(percentile(minutes, 90)),
            )
        )
    return weeks


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# Rates ------------------------------------------------------------------------------------------------


def rate(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by (a rate of nothing is not 0%)."""
    return part / whole if whole else None


def percent(value: float | None) -> int | None:
    """A rate as a whole percentage, None kept."""
    return None if value is None else round(100 * value)


@dataclass(frozen=True)
class Seat:
    """A member expected at a session: whether they came and how long they were in the room."""

    present: bool
    seconds_present: int
    session_seconds: int


def seat_share(seat: Seat) -> float:
    """The share of the session a member was there for, 0–1."""
    # Present with no measured time means the coach marked them present (a phone dial-in, a lost
    # connection): the coach's word counts as the whole session.
    if not seat.present:
        return 0.0
    if seat.seconds_present <= 0 or seat.session_seconds <= 0:
        return 1.0
    return min(seat.seconds_present / seat.session_seconds, 1.0)


@dataclass(frozen=True)
class AttendanceRate:
    """Attendance over expected seats: how many came (`rate`) and how much of the time (`time_share`)."""

    expected: int
    attended: int
    time_credit: float  # the sum of the seats' shares

    @property
    def rate(self) -> float | None:
        return rate(self.attended, self.expected)

    @property
    def time_share(self) -> float | None:
        return rate(self.time_credit, self.expected)


def attendance(seats: Iterable[Seat]) -> AttendanceRate:
    """Attendance over these expected seats (a seat without an attendance row is absent)."""
    expected = attended = 0
    credit = 0.0
    for seat in seats:
        expected += 1
        attended += seat.present
        credit += seat_share(seat)
    return AttendanceRate(expected=expected, attended=attended, time_credit=credit)


@dataclass(frozen=True)
class CommitmentRow:
    """A commitment as far as follow-up cares: its state, due date and when (and in whose zone) it closed."""

    status: str
    due_on: dt.date
    closed_at: dt.datetime | None
    zone: dt.tzinfo


def kept_on_time(row: CommitmentRow) -> bool:
    """Done on or before its due date, on the member's own calendar."""
    return (
        row.status == "done"
        and row.closed_at is not None
        and row.closed_at.astimezone(row.zone).date() <= row.due_on
    )


def is_overdue(row: CommitmentRow, *, today: dt.date) -> bool:
    """Still open after its due date."""
    return row.status == "open" and row.due_on < today


@dataclass(frozen=True)
class FollowThrough:
    """Commitments that have come due (or closed early), how many were kept on time, how many are overdue."""

    due: int
    kept: int
    overdue: int

    @property
    def rate(self) -> float | None:
        return rate(self.kept, self.due)


def follow_through(rows: Iterable[CommitmentRow], *, today: dt.date) -> FollowThrough:
    """Follow-through on commitments: a commitment counts once it is due (before `today`) or closed."""
    due = kept = overdue = 0
    for row in rows:
        if row.due_on < today or row.status != "open":
            due += 1
            kept += kept_on_time(row)
            overdue += is_overdue(row, today=today)
    return FollowThrough(due=due, kept=kept, overdue=overdue)


def gone_quiet(
    last_seen: Iterable[dt.datetime | None], *, seated_since: dt.datetime, now: dt.datetime
) -> bool:
    """No message and no check-in for 14 days (counting from when they joined, so newcomers are not quiet)."""
    latest = max([seated_since, *(moment for moment in last_seen if moment is not None)])
    return now - latest >= QUIET_AFTER
