"""The coach's weekly summary email: last week's response times against 90 minutes, open commitments and
open concerns of their circles, on Monday at 8:00 on the coach's own clock (sent once per ISO week)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.live.models import Commitment
from coaching.notifications import emails
from coaching.notifications.services import settings_of
from coaching.notifications.unsubscribe import SUMMARY
from coaching.progress import metrics
from coaching.progress.models import Concern
from coaching.progress.selectors import response_times

MONDAY = 0


@dataclass(frozen=True)
class CircleSummary:
    """One of the coach's circles: its open commitments (the overdue ones named) and open concerns."""

    circle: Circle
    open_commitments: int
    overdue: list[Commitment]
    concerns: list[Concern]


@dataclass(frozen=True)
class CoachSummary:
    """What a coach reads on Monday morning about the week that ended."""

    coach: User
    week: dt.date  # the Monday of the week summarised (the one that just ended, on the coach's clock)
    response: metrics.ResponseWeek | None
    goal_minutes: int
    circles: list[CircleSummary]


def coached_circles(coach: User) -> QuerySet[Circle]:
    """The circles the person coaches now."""
    return Circle.objects.filter(
        pk__in=Membership.objects.coaches().filter(user=coach).values("circle_id")
    ).order_by("name")


def coach_summary(*, coach: User, now: dt.datetime) -> CoachSummary:
    """Last week's response times (median and 90th percentile against the 90-minute goal) and what is open."""
    today = now.astimezone(coach.zone).date()
    last_week = metrics.monday_of(today) - metrics.WEEK
    circles = coached_circles(coach)
    times = response_times(coaches=[coach], circles=circles, weeks=[last_week], now=now)
    commitments = list(
        Commitment.objects.filter(circle__in=circles, status=Commitment.Status.OPEN)
        .select_related("member")
        .order_by("due_on", "id")
    )
    concerns = list(
        Concern.objects.filter(circle__in=circles, to=Concern.To.COACH, coach=coach)
        .exclude(status=Concern.Status.RESOLVED)
        .select_related("member")
        .order_by("created_at", "id")
    )
    return CoachSummary(
        coach=coach,
        week=last_week,
        response=times[0].weeks[0] if times else None,
        goal_minutes=metrics.RESPONSE_GOAL_MINUTES,
        circles=[
            CircleSummary(
                circle=circle,
                open_commitments=sum(1 for c in commitments if c.circle_id == circle.pk),
                # Overdue on the member's own calendar, as their progress page says.
                overdue=[
                    c
                    for c in commitments
                    if c.circle_id == circle.pk and c.due_on < now.astimezone(c.member.zone).date()
                ],
                concerns=[c for c in concerns if c.circle_id == circle.pk],
            )
            for circle in circles
        ],
    )


def _context(summary: CoachSummary) -> dict[str, Any]:
    response = summary.response
    return {
        "summary": summary,
        "week_label": metrics.week_label(summary.week),
        "week_start": formats.date_format(summary.week, "DATE_FORMAT"),
        "response": response,
        "meets_goal": response is not None and response.meets_goal,
        "circles": [
            {
                "name": item.circle.name,
                "url": emails.absolute(reverse("progress_circle", args=[item.circle.pk])),
                "open_commitments": item.open_commitments,
                "overdue": [
                    {
                        "member": c.member.name,
                        "text": c.text,
                        "due": formats.date_format(c.due_on, "DATE_FORMAT"),
                    }
                    for c in item.overdue
                ],
                "concerns": [
                    {
                        "subject": c.subject,
                        "member": c.member.name,
                        "url": emails.absolute(reverse("progress_concern", args=[c.pk])),
                    }
                    for c in item.concerns
                ],
            }
            for item in summary.circles
        ],
    }


def _summary_email(*, coach: User, now: dt.datetime) -> EmailMultiAlternatives:
    summary = coach_summary(coach=coach, now=now)
    return emails.build_email(
        user=coach,
        subject=lambda: _("Your week in Circles: %(week)s") % {"week": metrics.week_label(summary.week)},
        template="coach_summary",
        context=lambda: _context(summary),
        unsubscribe_what=SUMMARY,
    )


def send_coach_summaries(*, now: dt.datetime | None = None) -> int:
    """On Monday between 8:00 and 8:15 on each current coach's clock, their weekly summary; how many went out.

    Run every 15 minutes; sent once per coach per ISO week (key summary:<user>:<week>), unless the coach
    turned the summary off.
    """
    now = now or timezone.now()
    coaches = (
        User.objects.filter(pk__in=Membership.objects.coaches().values("user_id"), is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    sent = 0
    for coach in coaches:
        if not emails.is_local_time(now, coach, weekday=MONDAY) or SUMMARY in settings_of(coach).email_off:
            continue
        key = f"summary:{coach.pk}:{metrics.week_label(metrics.week_of(now, coach.zone))}"
        build = partial(_summary_email, coach=coach, now=now)
        sent += emails.safely(partial(emails.send_once, key=key, build=build, now=now))
    return sent
