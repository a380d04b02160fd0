"""Selector results turned into what the progress templates show: charts with their tables, formatted rows.

Dates are shown on the reader's clock; every label is translated in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.safestring import SafeString

from coaching.progress import charts
from coaching.progress.selectors import (
    CircleDashboard,
    CoachResponseTimes,
    MemberProgress,
    MemberRow,
    ProgrammeDashboard,
)


def week_name(monday: dt.date) -> str:
    """A week as a chart label: its Monday in the reader's language, e.g. "3 Nov", "3 nov"."""
    return formats.date_format(monday, "CHART_WEEK_FORMAT")


def day_name(moment: dt.datetime, zone: ZoneInfo) -> str:
    """A session as a chart label: its day on the reader's clock, e.g. "Tue 1 Dec", "mar 1 dic"."""
    return formats.date_format(moment.astimezone(zone), "CHART_DAY_FORMAT")


def member_charts(progress: MemberProgress, *, zone: ZoneInfo) -> dict[str, charts.Chart]:
    """Goal scores over the weeks, attendance by session and the state of the member's commitments."""
    return {
        "scores": charts.goal_scores(
            weeks=[week_name(w) for w in progress.weeks],
            goals=[(line.goal.title, line.scores) for line in progress.goals],
        ),
        "attendance": charts.member_attendance(
            sessions=[
                (
                    day_name(a.session.starts_at, zone),
                    formats.date_format(a.session.starts_at.astimezone(zone), "Y-m-d H:i"),
                    a.present,
                    a.minutes_present,
                    a.share,
                )
                for a in progress.attendance
            ]
        ),
        "commitments": charts.commitment_states(counts=progress.commitment_counts),
    }


@dataclass(frozen=True)
class RowView:
    """A member row of the coach's dashboard with its sparkline and the numbers behind it."""

    row: MemberRow
    sparkline: SafeString
    trend_text: str


def circle_view(
    dashboard: CircleDashboard, *, responses: CoachResponseTimes | None, zone: ZoneInfo
) -> dict[str, Any]:
    """The coach's circle dashboard: member rows with sparklines, and the circle's charts."""
    weeks = [week_name(w) for w in dashboard.weeks]
    return {
        "rows": [
            RowView(
                row=row,
                sparkline=charts.sparkline(row.trend),
                trend_text=" → ".join(charts.number(v) for v in row.trend),
            )
            for row in dashboard.rows
        ],
        "charts": {
            "scores": charts.circle_scores(weeks=weeks, averages=dashboard.weekly_average),
            "attendance": charts.circle_attendance(
                sessions=[
                    (
                        day_name(s.session.starts_at, zone),
                        formats.date_format(s.session.starts_at.astimezone(zone), "Y-m-d H:i"),
                        s.rate.attended,
                        s.rate.expected,
                        s.rate.rate,
                        s.rate.time_share,
                    )
                    for s in dashboard.sessions
                ]
            ),
            "responses": charts.response_times(
                weeks=[week_name(w) for w in responses.mondays] if responses else [],
                coaches=[(responses.coach.name, responses.weeks)] if responses else [],
            ),
        },
    }


def programme_view(dashboard: ProgrammeDashboard) -> dict[str, Any]:
    """The programme dashboard's charts: circle health, attendance by week, coach response times."""
    return {
        "charts": {
            "health": charts.circle_health(
                circles=[
                    (
                        h.circle.name if h.circle else "",
                        h.attendance.rate,
                        h.check_in_rate,
                        h.follow_through.rate,
                    )
                    for h in dashboard.circles
                ]
            ),
            "attendance": charts.weekly_attendance(
                weeks=[week_name(w) for w in dashboard.weeks], rates=dashboard.weekly_attendance
            ),
            "responses": charts.response_times(
                weeks=[week_name(w) for w in dashboard.response_weeks],
                coaches=[(r.coach.name, r.weeks) for r in dashboard.response_times],
            ),
        },
    }
