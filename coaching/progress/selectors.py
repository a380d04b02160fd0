"""Reads of progress, shaped for the member page, the coach's circle dashboard and the programme dashboard.

Every number comes from a fixed set of grouped queries (a query count that does not grow with the number
of members); the arithmetic on the rows is metrics.py's. Nothing here reads a message's text.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Least, TruncWeek
from django.utils import timezone

from chat.models import Mention, Message
from circles.models import Circle, Membership, Programme, current_seat_via, seat_held_at
from coaching.accounts.models import User
from coaching.live import logs
from coaching.live.models import Attendance, Commitment, LiveSession
from coaching.progress import metrics
from coaching.progress.concerns import visible_to_admin
from coaching.progress.models import CheckIn, Concern, ConcernEvent, Goal, Kudos

WEEKS_SHOWN = 8  # weeks of scores and attendance on the charts
RATE_WEEKS = 4  # complete weeks behind the check-in rate and the message counts
RESPONSE_WEEKS = 6  # weeks of coach response times


# Shared pieces ----------------------------------------------------------------------------------------


def _utc_week(moment: dt.datetime) -> dt.date:
    return metrics.week_of(moment, dt.UTC)


# How much of a session a present member is credited with, in SQL; the same rule as metrics.seat_share.
_SEAT_SHARE = Case(
    When(present=False, then=Value(0.0)),
    When(seconds_present__lte=0, then=Value(1.0)),
    default=Least(
        Cast(F("seconds_present"), FloatField()) / Cast(F("session__duration_minutes") * 60, FloatField()),
        Value(1.0),
    ),
    output_field=FloatField(),
)


def _seated_at_session(prefix: str) -> Q:
    """A membership row that was active when the session (reached through `prefix`) started."""
    return seat_held_at(F(f"{prefix}starts_at"))


@dataclass(frozen=True)
class AttendanceLine:
    """One session as a member lived it."""

    session: LiveSession
    present: bool
    seconds_present: int

    @property
    def share(self) -> float:
        return metrics.seat_share(
            metrics.Seat(self.present, self.seconds_present, self.session.duration_minutes * 60)
        )

    @property
    def minutes_present(self) -> int:
        return round(self.seconds_present / 60)


def _member_attendance(
    *, member: User, circle_ids: list[int], since: dt.datetime, now: dt.datetime
) -> list[AttendanceLine]:
    """The ended sessions of the member's circles held while they sat in them, oldest first."""
    seats = Membership.objects.filter(user=member, role=Membership.Role.MEMBER, circle_id__in=circle_ids)
    windows = [(s.circle_id, s.joined_at, s.left_at) for s in seats]
    sessions = list(
        LiveSession.objects.filter(
            circle_id__in=circle_ids, status=LiveSession.Status.ENDED, starts_at__gte=since, starts_at__lt=now
        ).order_by("starts_at")
    )
    sessions = [
        s
        for s in sessions
        if any(
            c == s.circle_id and j <= s.starts_at and (left is None or left > s.starts_at)
            for c, j, left in windows
        )
    ]
    rows = {
        a.session_id: a for a in Attendance.objects.filter(user=member, session__in=[s.pk for s in sessions])
    }
    return [
        AttendanceLine(
            session=s,
            present=bool(rows.get(s.pk) and rows[s.pk].present),
            seconds_present=rows[s.pk].seconds_present if s.pk in rows else 0,
        )
        for s in sessions
    ]


def _commitment_rows(commitments: Iterable[Commitment], zone: ZoneInfo) -> list[metrics.CommitmentRow]:
    return [metrics.CommitmentRow(c.status, c.due_on, c.closed_at, zone) for c in commitments]


# The member's page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalLine:
    """A goal with its scores over the weeks shown and this week's check-in, if any."""

    goal: Goal
    scores: list[int | None]
    this_week: CheckIn | None


@dataclass(frozen=True)
class MemberProgress:
    """Everything on a member's progress page."""

    member: User
    seats: list[Membership]
    weeks: list[dt.date]
    this_week: dt.date
    goals: list[GoalLine]
    closed_goals: list[Goal]
    streak: metrics.Streak
    commitments: list[Commitment]
    follow_through: metrics.FollowThrough
    commitment_counts: dict[str, int]
    attendance: list[AttendanceLine]
    attendance_rate: metrics.AttendanceRate
    kudos_received: list[Kudos]
    kudos_given: int
    concerns: list[Concern]
    circle_peers: dict[int, list[User]] = field(default_factory=dict)


def commitment_counts(commitments: Iterable[Commitment], *, zone: ZoneInfo, today: dt.date) -> dict[str, int]:
    """How the member's commitments stand: kept on time, done late, dropped, open, overdue."""
    counts = {"kept": 0, "late": 0, "dropped": 0, "open": 0, "overdue": 0}
    for row in _commitment_rows(commitments, zone):
        if row.status == Commitment.Status.DONE:
            counts["kept" if metrics.kept_on_time(row) else "late"] += 1
        elif row.status == Commitment.Status.DROPPED:
            counts["dropped"] += 1
        else:
            counts["overdue" if metrics.is_overdue(row, today=today) else "open"] += 1
    return counts


def member_progress(*, member: User, now: dt.datetime | None = None) -> MemberProgress:
    """A member's goals and scores, streak, commitments, attendance, kudos and concerns, in their own zone."""
    now = now or timezone.now()
    zone = member.zone
    today = now.astimezone(zone).date()
    this_week = metrics.week_of(now, zone)
    weeks = metrics.recent_weeks(today, WEEKS_SHOWN)
    seats = list(
        Membership.objects.members()
        .filter(user=member)
        .select_related("circle", "circle__programme")
        .order_by("circle__name")
    )
    goals = list(
        Goal.objects.filter(member=member).filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=now - metrics.WEEK * WEEKS_SHOWN)
        )
    )
    check_ins = list(CheckIn.objects.filter(member=member, week__gte=weeks[0]))
    by_goal: dict[int, dict[dt.date, CheckIn]] = defaultdict(dict)
    for item in check_ins:
        by_goal[item.goal_id][item.week] = item
    open_goals = [g for g in goals if g.closed_at is None]
    all_weeks = CheckIn.objects.filter(member=member).values_list("week", flat=True).distinct()
    commitments = logs.commitments_of(member=member, today=today)
    peers: dict[int, list[User]] = defaultdict(list)
    for seat in (
        Membership.objects.members()
        .filter(circle_id__in=[s.circle_id for s in seats])
        .exclude(user=member)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    ):
        peers[seat.circle_id].append(seat.user)
    attendance = _member_attendance(
        member=member,
        circle_ids=[s.circle_id for s in seats],
        since=metrics.week_start(weeks[0], zone),
        now=now,
    )
    return MemberProgress(
        member=member,
        seats=seats,
        weeks=weeks,
        this_week=this_week,
        goals=[
            GoalLine(
                goal=g,
                scores=[by_goal[g.pk][w].score if w in by_goal[g.pk] else None for w in weeks],
                this_week=by_goal[g.pk].get(this_week),
            )
            for g in open_goals
        ],
        closed_goals=[g for g in goals if g.closed_at is not None],
        streak=metrics.streaks(all_weeks, current_week=this_week),
        commitments=commitments,
        follow_through=metrics.follow_through(_commitment_rows(commitments, zone), today=today),
        commitment_counts=commitment_counts(commitments, zone=zone, today=today),
        attendance=attendance,
        attendance_rate=metrics.attendance(
            metrics.Seat(a.present, a.seconds_present, a.session.duration_minutes * 60) for a in attendance
        ),
        kudos_received=list(Kudos.objects.filter(receiver=member).select_related("giver", "circle")[:20]),
        kudos_given=Kudos.objects.filter(giver=member).count(),
        concerns=list(Concern.objects.filter(member=member).select_related("circle")[:20]),
        circle_peers=dict(peers),
    )


# The coach's circle dashboard -------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    """One member on the coach's circle dashboard: trend, streak, follow-up and what they give the circle."""

    member: User
    trend: list[float | None]
    streak: metrics.Streak
    checked_in_this_week: bool
    attendance: metrics.AttendanceRate
    follow_through: metrics.FollowThrough
    overdue: list[Commitment]
    kudos_received: int
    last_seen: dt.datetime | None
    quiet: bool


@dataclass(frozen=True)
class SessionAttendance:
    """One ended session of a circle: how many of the members expected came, and for how much of it."""

    session: LiveSession
    rate: metrics.AttendanceRate


@dataclass(frozen=True)
class CircleDashboard:
    """Everything on a coach's dashboard of one circle."""

    circle: Circle
    weeks: list[dt.date]
    rows: list[MemberRow]
    weekly_average: list[float | None]
    sessions: list[SessionAttendance]
    concerns: list[Concern]
    overdue: list[Commitment]

    @property
    def quiet(self) -> list[MemberRow]:
        return [row for row in self.rows if row.quiet]


def circle_dashboard(*, circle: Circle, coach: User, now: dt.datetime | None = None) -> CircleDashboard:
    """A row per current member (trend, streak, overdue commitments, gone quiet) and the circle's concerns."""
    now = now or timezone.now()
    zone = coach.zone
    today = now.astimezone(zone).date()
    weeks = metrics.recent_weeks(today, WEEKS_SHOWN)
    since = metrics.week_start(weeks[0], zone) - dt.timedelta(
        days=1
    )  # members' weeks start up to a day apart
    seats = list(
        Membership.objects.members()
        .filter(circle=circle)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    )
    members = [s.user for s in seats]
    ids = [m.pk for m in members]

    scores: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for member_id, week, score in CheckIn.objects.filter(member_id__in=ids, week__gte=weeks[0]).values_list(
        "member_id", "week", "score"
    ):
        scores[member_id].append((week, score))
    checked_weeks: dict[int, set[dt.date]] = defaultdict(set)
    last_check_in: dict[int, dt.datetime] = {}
    for member_id, week, updated in CheckIn.objects.filter(member_id__in=ids).values_list(
        "member_id", "week", "updated_at"
    ):
        checked_weeks[member_id].add(week)
        last_check_in[member_id] = max(updated, last_check_in.get(member_id, updated))

    sessions = list(
        LiveSession.objects.filter(
            circle=circle, status=LiveSession.Status.ENDED, starts_at__gte=since, starts_at__lt=now
        ).order_by("starts_at")
    )
    present = {
        (a.session_id, a.user_id): a
        for a in Attendance.objects.filter(session__in=[s.pk for s in sessions], user_id__in=ids)
    }
    seat_of = {s.user_id: s for s in seats}

    def expected(session: LiveSession, member_id: int) -> bool:
        return seat_of[member_id].joined_at <= session.starts_at

    def seat(session: LiveSession, member_id: int) -> metrics.Seat:
        row = present.get((session.pk, member_id))
        return metrics.Seat(
            bool(row and row.present), row.seconds_present if row else 0, session.duration_minutes * 60
        )

    commitments: dict[int, list[Commitment]] = defaultdict(list)
    for commitment in Commitment.objects.filter(circle=circle, member_id__in=ids).order_by("due_on", "id"):
        commitments[commitment.member_id].append(commitment)
    kudos = dict(
        Kudos.objects.filter(circle=circle, receiver_id__in=ids)
        .values_list("receiver_id")
        .annotate(n=Count("id"))
        .values_list("receiver_id", "n")
    )
    said_in_circle = dict(
        Message.objects.filter(room__circle=circle, author_id__in=ids)
        .values_list("author_id")
        .annotate(last=Max("created_at"))
        .values_list("author_id", "last")
    )
    said_to_coach = dict(
        Message.objects.filter(
            room__thread__coach=coach, room__thread__member_id__in=ids, author=F("room__thread__member")
        )
        .values_list("author_id")
        .annotate(last=Max("created_at"))
        .values_list("author_id", "last")
    )

    rows = []
    for member in members:
        mine = commitments[member.pk]
        overdue = [c for c in mine if c.status == Commitment.Status.OPEN and c.due_on < today]
        moments = [said_in_circle.get(member.pk), said_to_coach.get(member.pk), last_check_in.get(member.pk)]
        rows.append(
            MemberRow(
                member=member,
                trend=metrics.weekly_average(scores[member.pk], weeks),
                streak=metrics.streaks(
                    checked_weeks[member.pk], current_week=metrics.week_of(now, member.zone)
                ),
                checked_in_this_week=metrics.week_of(now, member.zone) in checked_weeks[member.pk],
                attendance=metrics.attendance(seat(s, member.pk) for s in sessions if expected(s, member.pk)),
                follow_through=metrics.follow_through(_commitment_rows(mine, member.zone), today=today),
                overdue=overdue,
                kudos_received=kudos.get(member.pk, 0),
                last_seen=max((m for m in moments if m is not None), default=None),
                quiet=metrics.gone_quiet(moments, seated_since=seat_of[member.pk].joined_at, now=now),
            )
        )
    all_scores = [pair for member_id in ids for pair in scores[member_id]]
    return CircleDashboard(
        circle=circle,
        weeks=weeks,
        rows=rows,
        weekly_average=metrics.weekly_average(all_scores, weeks),
        sessions=[
            SessionAttendance(session=s, rate=metrics.attendance(seat(s, m) for m in ids if expected(s, m)))
            for s in sessions
        ],
        concerns=list(
            Concern.objects.filter(circle=circle, to=Concern.To.COACH, coach=coach)
            .exclude(status=Concern.Status.RESOLVED)
            .select_related("member")
        ),
        overdue=sorted((c for row in rows for c in row.overdue), key=lambda c: (c.due_on, c.pk)),
    )


# Coach response times ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachResponseTimes:
    """A coach's response times, one entry per week shown (None for a week without questions)."""

    coach: User
    mondays: list[dt.date]
    weeks: list[metrics.ResponseWeek | None]


def _response_rows(
    *, coaches: dict[int, User], circles: QuerySet[Circle], since: dt.datetime, now: dt.datetime
) -> list[metrics.Response]:
    """Every question to these coaches since `since`, paired with its answer: four queries in all."""
    coach_ids = list(coaches)
    room_asks = Mention.objects.filter(
        current_seat_via("user__memberships"),
        message__room__circle__in=circles,
        message__created_at__gte=since,
        message__deleted_at__isnull=True,
        user_id__in=coach_ids,
        user__memberships__circle=F("message__room__circle"),
        user__memberships__role=Membership.Role.COACH,
    ).exclude(message__author=F("user"))
    # A thread counts for these circles while its member sits in one of them.
    thread_asks = Message.objects.filter(
        current_seat_via("room__thread__member__memberships"),
        room__thread__coach_id__in=coach_ids,
        author=F("room__thread__member"),
        room__thread__member__memberships__circle__in=circles,
        room__thread__member__memberships__role=Membership.Role.MEMBER,
        created_at__gte=since,
        deleted_at__isnull=True,
    )
    replies = Message.objects.filter(author_id__in=coach_ids, created_at__gte=since).filter(
        Q(room__circle__in=circles) | Q(room__thread__coach=F("author"))
    )
    concerns = Concern.objects.filter(
        to=Concern.To.COACH, coach_id__in=coach_ids, circle__in=circles, created_at__gte=since
    ).annotate(
        coach_answered=Min(
            "events__created_at", filter=Q(events__kind=ConcernEvent.Kind.ANSWERED, events__actor=F("coach"))
        )
    )
    asks = [
        metrics.Ask(room=("room", room), coach=coach, at=at)
        for _pk, room, coach, at in room_asks.values_list(
            "message_id", "message__room_id", "user_id", "message__created_at"
        ).distinct()
    ]
    asks += [
        metrics.Ask(room=("room", room), coach=coach, at=at)
        for _pk, room, coach, at in thread_asks.values_list(
            "pk", "room_id", "room__thread__coach_id", "created_at"
        ).distinct()
    ]
    answers = [
        metrics.Reply(room=("room", room), author=author, at=at)
        for room, author, at in replies.values_list("room_id", "author_id", "created_at")
    ]
    for pk, coach, raised, answered in concerns.values_list("pk", "coach_id", "created_at", "coach_answered"):
        asks.append(metrics.Ask(room=("concern", pk), coach=coach, at=raised))
        if answered is not None:
            answers.append(metrics.Reply(room=("concern", pk), author=coach, at=answered))
    return metrics.pair_responses(asks, answers, now=now)


def response_times(
    *, coaches: Iterable[User], circles: QuerySet[Circle], weeks: list[dt.date], now: dt.datetime
) -> list[CoachResponseTimes]:
    """Median and 90th percentile of each coach's response time, per ISO week of the coach's zone."""
    by_id = {coach.pk: coach for coach in coaches}
    if not by_id:
        return []
    since = metrics.week_start(weeks[0], dt.UTC) - dt.timedelta(days=1)
    responses = _response_rows(coaches=by_id, circles=circles, since=since, now=now)
    stats = metrics.weekly_response_times(responses, zones={pk: c.zone for pk, c in by_id.items()})
    table = {(s.coach, s.week): s for s in stats}
    return [
        CoachResponseTimes(coach=coach, mondays=weeks, weeks=[table.get((coach.pk, week)) for week in weeks])
        for coach in sorted(by_id.values(), key=lambda c: c.name.casefold())
    ]


# The programme dashboard ------------------------------------------------------------------------------


NO_ATTENDANCE = metrics.AttendanceRate(0, 0, 0.0)
NO_COMMITMENTS = metrics.FollowThrough(0, 0, 0)


@dataclass
class CircleHealth:
    """One circle's numbers on the programme dashboard (counts and rates only, never what was said)."""

    circle: Circle | None  # None for the programme's total
    coach: User | None = None
    members: int = 0
    attendance: metrics.AttendanceRate = NO_ATTENDANCE
    checked_weeks: int = 0
    expected_weeks: int = 0
    follow_through: metrics.FollowThrough = NO_COMMITMENTS
    messages: int = 0
    open_concerns: int = 0

    @property
    def check_in_rate(self) -> float | None:
        return metrics.rate(self.checked_weeks, self.expected_weeks)


@dataclass(frozen=True)
class ProgrammeDashboard:
    """Everything on the programme's progress dashboard."""

    programme: Programme
    circles: list[CircleHealth]
    weeks: list[dt.date]  # attendance weeks (UTC)
    weekly_attendance: list[metrics.AttendanceRate]
    rate_weeks: list[dt.date]
    response_weeks: list[dt.date]
    response_times: list[CoachResponseTimes]
    concerns: list[Concern]
    total: CircleHealth


def _attendance_by_circle_week(
    circles: QuerySet[Circle], *, since: dt.datetime, now: dt.datetime
) -> dict[tuple[int, dt.date], metrics.AttendanceRate]:
    """Expected seats, attended seats and time credit per circle per (UTC) week: two grouped queries."""
    in_window = Q(
        circle__live_sessions__status=LiveSession.Status.ENDED,
        circle__live_sessions__starts_at__gte=since,
        circle__live_sessions__starts_at__lt=now,
    )
    expected = (
        Membership.objects.filter(
            in_window & _seated_at_session("circle__live_sessions__"),
            role=Membership.Role.MEMBER,
            circle__in=circles,
        )
        .annotate(week=TruncWeek("circle__live_sessions__starts_at", tzinfo=dt.UTC))
        .values("circle_id", "week")
        .annotate(n=Count("id"))
        .values_list("circle_id", "week", "n")
    )
    starts = OuterRef("session__starts_at")
    seated = Membership.objects.held_at(starts).filter(
        user=OuterRef("user"),
        circle=OuterRef("session__circle"),
        role=Membership.Role.MEMBER,
    )
    attended = (
        Attendance.objects.filter(
            session__circle__in=circles,
            session__status=LiveSession.Status.ENDED,
            session__starts_at__gte=since,
            session__starts_at__lt=now,
            present=True,
        )
        .filter(Exists(seated))
        .annotate(week=TruncWeek("session__starts_at", tzinfo=dt.UTC))
        .values("session__circle_id", "week")
        .annotate(n=Count("id"), credit=Sum(_SEAT_SHARE))
        .values_list("session__circle_id", "week", "n", "credit")
    )
    came = {(c, _as_date(w)): (n, credit or 0.0) for c, w, n, credit in attended}
    return {
        (c, _as_date(w)): metrics.AttendanceRate(n, *came.get((c, _as_date(w)), (0, 0.0)))
        for c, w, n in expected
    }


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _add(rates: Iterable[metrics.AttendanceRate]) -> metrics.AttendanceRate:
    items = list(rates)
    return metrics.AttendanceRate(
        sum(r.expected for r in items), sum(r.attended for r in items), sum(r.time_credit for r in items)
    )


def _check_in_counts(
    circles: QuerySet[Circle], *, weeks: list[dt.date]
) -> tuple[dict[int, int], dict[int, int]]:
    """Per circle: member-weeks with a check-in, and member-weeks with an open goal (one query each)."""
    if not weeks:
        return {}, {}
    seated = current_seat_via("member__memberships") & Q(
        member__memberships__circle__in=circles, member__memberships__role=Membership.Role.MEMBER
    )
    checked_columns = {
        f"w{i}": Count("member", distinct=True, filter=Q(week=week)) for i, week in enumerate(weeks)
    }
    checked = {
        circle_id: sum(counts)
        for circle_id, *counts in CheckIn.objects.filter(seated, week__in=weeks)
        .values("member__memberships__circle_id")
        .annotate(**checked_columns)
        .values_list("member__memberships__circle_id", *checked_columns)
    }
    expected_columns = {
        f"w{i}": Count(
            "user",
            distinct=True,
            filter=Q(user__goals__created_at__lt=metrics.week_start(week + metrics.WEEK, dt.UTC))
            & (
                Q(user__goals__closed_at__isnull=True)
                | Q(user__goals__closed_at__gte=metrics.week_start(week, dt.UTC))
            ),
        )
        for i, week in enumerate(weeks)
    }
    expected = {
        circle_id: sum(counts)
        for circle_id, *counts in Membership.objects.members()
        .filter(circle__in=circles, user__goals__isnull=False)
        .values("circle_id")
        .annotate(**expected_columns)
        .values_list("circle_id", *expected_columns)
    }
    return checked, expected


def _follow_through_by_circle(
    circles: QuerySet[Circle], *, since: dt.date, today: dt.date
) -> dict[int, metrics.FollowThrough]:
    """Commitments due in the window (or closed in it), judged on each member's own calendar: one query."""
    rows: dict[int, list[metrics.CommitmentRow]] = defaultdict(list)
    zones: dict[str, ZoneInfo] = {}
    commitments = Commitment.objects.filter(circle__in=circles).filter(
        Q(due_on__gte=since, due_on__lt=today) | Q(closed_at__date__gte=since)
    )
    for circle_id, status, due_on, closed_at, zone_name in commitments.values_list(
        "circle_id", "status", "due_on", "closed_at", "member__timezone"
    ).iterator(chunk_size=5000):
        zone = zones.setdefault(zone_name, ZoneInfo(zone_name))
        rows[circle_id].append(metrics.CommitmentRow(status, due_on, closed_at, zone))
    return {circle_id: metrics.follow_through(items, today=today) for circle_id, items in rows.items()}


def programme_dashboard(
    *, programme: Programme, admin: User, now: dt.datetime | None = None
) -> ProgrammeDashboard:
    """Circle health, attendance, coach response times and the concerns that are the admins' to answer."""
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    weeks = metrics.recent_weeks(today, WEEKS_SHOWN)
    rate_weeks = metrics.recent_weeks(today, RATE_WEEKS + 1)[:-1]  # complete weeks only
    response_weeks = metrics.recent_weeks(today, RESPONSE_WEEKS)
    circles = programme.circles.exclude(status=Circle.Status.CLOSED)
    health = {
        c.pk: CircleHealth(circle=c, members=c.member_count)
        for c in circles.annotate(
            member_count=Count(
                "memberships",
                filter=current_seat_via("memberships") & Q(memberships__role=Membership.Role.MEMBER),
            )
        ).order_by("name")
    }
    coaches: dict[int, User] = {}
    for seat in Membership.objects.coaches().filter(circle__in=circles).select_related("user"):
        health[seat.circle_id].coach = seat.user
        coaches[seat.user_id] = seat.user

    attendance = _attendance_by_circle_week(circles, since=metrics.week_start(weeks[0], dt.UTC), now=now)
    for circle_id, item in health.items():
        item.attendance = _add(rate for (c, _w), rate in attendance.items() if c == circle_id)
    checked, expected = _check_in_counts(circles, weeks=rate_weeks)
    for circle_id, item in health.items():
        item.checked_weeks, item.expected_weeks = checked.get(circle_id, 0), expected.get(circle_id, 0)
    since_day = rate_weeks[0] if rate_weeks else today
    for circle_id, follow in _follow_through_by_circle(circles, since=since_day, today=today).items():
        health[circle_id].follow_through = follow
    for circle_id, count in (
        Message.objects.filter(
            room__circle__in=circles,
            created_at__gte=metrics.week_start(since_day, dt.UTC),
            deleted_at__isnull=True,
        )
        .values_list("room__circle_id")
        .annotate(n=Count("id"))
        .values_list("room__circle_id", "n")
    ):
        health[circle_id].messages = count
    for circle_id, count in (
        Concern.objects.filter(circle__in=circles)
        .exclude(status=Concern.Status.RESOLVED)
        .values_list("circle_id")
        .annotate(n=Count("id"))
        .values_list("circle_id", "n")
    ):
        health[circle_id].open_concerns = count

    rows = list(health.values())
    total = CircleHealth(
        circle=None,
        members=sum(r.members for r in rows),
        attendance=_add(r.attendance for r in rows),
        checked_weeks=sum(r.checked_weeks for r in rows),
        expected_weeks=sum(r.expected_weeks for r in rows),
        follow_through=metrics.FollowThrough(
            sum(r.follow_through.due for r in rows),
            sum(r.follow_through.kept for r in rows),
            sum(r.follow_through.overdue for r in rows),
        ),
        messages=sum(r.messages for r in rows),
        open_concerns=sum(r.open_concerns for r in rows),
    )
    return ProgrammeDashboard(
        programme=programme,
        circles=rows,
        weeks=weeks,
        weekly_attendance=[_add(rate for (_c, w), rate in attendance.items() if w == week) for week in weeks],
        rate_weeks=rate_weeks,
        response_weeks=response_weeks,
        response_times=response_times(
            coaches=coaches.values(), circles=circles, weeks=response_weeks, now=now
        ),
        concerns=list(
            visible_to_admin(user=admin)
            .filter(programme=programme)
            .exclude(status=Concern.Status.RESOLVED)
            .select_related("circle", "member")
            .order_by("created_at", "id")
        ),
        total=total,
    )


def circle_response_times(
    *, circle: Circle, coach: User, now: dt.datetime | None = None
) -> CoachResponseTimes | None:
    """The coach's own response times in this circle (its room, their threads with its members, concerns)."""
    now = now or timezone.now()
    weeks = metrics.recent_weeks(now.astimezone(coach.zone).date(), RESPONSE_WEEKS)
    found = response_times(coaches=[coach], circles=Circle.objects.filter(pk=circle.pk), weeks=weeks, now=now)
    return found[0] if found else None


def goals_this_week(*, member: User, now: dt.datetime | None = None) -> list[Goal]:
    """The member's open goals, each with `score_this_week` (None before they check in): one query."""
    week = metrics.week_of(now or timezone.now(), member.zone)
    this_week = CheckIn.objects.filter(goal=OuterRef("pk"), week=week).values("score")[:1]
    return list(
        Goal.objects.filter(member=member, closed_at__isnull=True).annotate(
            score_this_week=Subquery(this_week)
        )
    )
