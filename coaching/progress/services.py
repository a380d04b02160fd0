"""Write paths of progress: goals, weekly check-ins, a member's own commitments, kudos, check-in reminders.

Concerns have their own module (concerns.py). Commitments are coaching.live's: closing one goes through
coaching.live.logs, so both apps keep one rule.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.live import logs
from coaching.live.models import Commitment
from coaching.notifications.kinds import Kind
from coaching.notifications.services import notify
from coaching.progress import metrics
from coaching.progress.errors import ProgressRuleError
from coaching.progress.models import MAX_SCORE, MIN_SCORE, CheckIn, CheckInReminder, Goal, Kudos

MAX_TITLE = 200
MAX_WHY = 1000
MAX_MEASURE = 300
MAX_NOTE = 300
MAX_CONTRIBUTION = 300
MAX_OPEN_GOALS = 10


def _text(value: str, *, limit: int, required: bool, message: str, code: str) -> str:
    value = value.strip()
    if (required and not value) or len(value) > limit:
        raise ProgressRuleError(message % {"max": limit}, code=code)
    return value


def member_seat(*, user: User, circle_id: int | None = None) -> Membership:
    """The person's active member seat (in that circle, or their first one); ProgressRuleError if none."""
    seats = Membership.objects.members().filter(user=user)
    if circle_id is not None:
        seats = seats.filter(circle_id=circle_id)
    seat = seats.select_related("circle", "circle__programme").order_by("joined_at", "id").first()
    if seat is None:
        raise ProgressRuleError(_("Only a member of a circle can do that."), code="not_a_member")
    return seat


def _own_open_goal(member: User, goal: Goal) -> Goal:
    locked = Goal.objects.select_for_update().filter(pk=goal.pk, member=member).first()
    if locked is None:
        raise ProgressRuleError(_("That is not one of your goals."), code="forbidden")
    if locked.closed_at is not None:
        raise ProgressRuleError(_("This goal is closed."), code="closed")
    return locked


@transaction.atomic
def set_goal(
    *,
    member: User,
    title: str,
    measure: str,
    why: str = "",
    target_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Goal:
    """Record a new goal of a member who sits in a circle; at most MAX_OPEN_GOALS open at once."""
    now = now or timezone.now()
    member_seat(user=member)
    title = _text(
        title,
        limit=MAX_TITLE,
        required=True,
        message=_("A goal needs 1 to %(max)d characters."),
        code="bad_title",
    )
    measure = _text(
        measure,
        limit=MAX_MEASURE,
        required=True,
        message=_("Say how you will measure progress, in 1 to %(max)d characters."),
        code="bad_measure",
    )
    why = _text(
        why,
        limit=MAX_WHY,
        required=False,
        message=_("“Why” can be at most %(max)d characters."),
        code="bad_why",
    )
    if target_date is not None and target_date < now.astimezone(member.zone).date():
        raise ProgressRuleError(_("The target date is in the past."), code="past_target")
    if Goal.objects.filter(member=member, closed_at__isnull=True).count() >= MAX_OPEN_GOALS:
        raise ProgressRuleError(
            _("You already have %(max)d open goals; close one first.") % {"max": MAX_OPEN_GOALS},
            code="too_many_goals",
        )
    return Goal.objects.create(
        member=member, title=title, why=why, measure=measure, target_date=target_date, created_at=now
    )


@transaction.atomic
def close_goal(*, member: User, goal: Goal, now: dt.datetime | None = None) -> Goal:
    """Close one of the member's open goals: it stops asking for weekly check-ins and keeps its history."""
    goal = _own_open_goal(member, goal)
    goal.closed_at = now or timezone.now()
    goal.save(update_fields=["closed_at"])
    return goal


@transaction.atomic
def check_in(
    *, member: User, goal: Goal, score: int, note: str = "", now: dt.datetime | None = None
) -> CheckIn:
    """Record, or change, this week's 1–10 score for the member's own open goal (ISO week of their zone)."""
    now = now or timezone.now()
    goal = _own_open_goal(member, goal)
    if not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise ProgressRuleError(
            _("A score is a whole number from %(low)d to %(high)d.") % {"low": MIN_SCORE, "high": MAX_SCORE},
            code="bad_score",
        )
    note = _text(
        note,
        limit=MAX_NOTE,
        required=False,
        message=_("A note can be at most %(max)d characters."),
        code="bad_note",
    )
    week = metrics.week_of(now, member.zone)
    existing = CheckIn.objects.select_for_update().filter(goal=goal, week=week).first()
    if existing is None:
        try:
            with transaction.atomic():
                return CheckIn.objects.create(
                    goal=goal,
                    member=member,
                    week=week,
                    score=score,
                    note=note,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            # The same member checked in from two tabs at once: the other one created the row.
            existing = CheckIn.objects.select_for_update().get(goal=goal, week=week)
    existing.score, existing.note, existing.updated_at = score, note, now
    existing.save(update_fields=["score", "note", "updated_at"])
    return existing


@transaction.atomic
def set_commitment(
    *, member: User, circle: Circle, text: str, due_on: dt.date, now: dt.datetime | None = None
) -> Commitment:
    """A member commits to something themselves, in a circle they sit in, due today or later."""
    now = now or timezone.now()
    member_seat(user=member, circle_id=circle.pk)
    text = _text(
        text,
        limit=logs.MAX_COMMITMENT,
        required=True,
        message=_("A commitment needs 1 to %(max)d characters."),
        code="bad_text",
    )
    if due_on < now.astimezone(member.zone).date():
        raise ProgressRuleError(_("A commitment is due today or later."), code="past_due")
    return Commitment.objects.create(
        member=member, circle=circle, session=None, text=text, due_on=due_on, created_by=member
    )


@transaction.atomic
def give_kudos(
    *, giver: User, receiver: User, circle: Circle, contribution: str, now: dt.datetime | None = None
) -> Kudos:
    """A member thanks another member of the same circle for something specific they did."""
    member_seat(user=giver, circle_id=circle.pk)
    if giver.pk == receiver.pk:
        raise ProgressRuleError(_("Kudos go to someone else."), code="self")
    try:
        member_seat(user=receiver, circle_id=circle.pk)
    except ProgressRuleError:
        raise ProgressRuleError(_("Kudos go to a member of your circle."), code="not_in_circle") from None
    contribution = _text(
        contribution,
        limit=MAX_CONTRIBUTION,
        required=True,
        message=_("Say what they did, in 1 to %(max)d characters."),
        code="bad_contribution",
    )
    kudos = Kudos.objects.create(
        giver=giver,
        receiver=receiver,
        circle=circle,
        contribution=contribution,
        created_at=now or timezone.now(),
    )
    notify(
        recipient=receiver,
        kind=Kind.KUDOS,
        actor=giver,
        url=reverse("progress_mine"),
        dedupe_key=f"kudos:{kudos.pk}",
        params={"circle": circle.name, "kudos": kudos.pk},
        now=kudos.created_at,
    )
    return kudos


def _remind(member: User, week: dt.date, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            CheckInReminder.objects.create(member=member, week=week, sent_at=now)
    except IntegrityError:
        return False  # another worker (or an earlier run) already reminded them about this week

    notify(
        recipient=member,
        kind=Kind.CHECK_IN_MISSED,
        url=reverse("progress_mine"),
        dedupe_key=f"check_in:{week.isoformat()}:missed",
        params={"week": metrics.week_label(week)},
        now=now,
    )
    return True


def remind_missed_check_ins(*, now: dt.datetime | None = None) -> int:
    """Remind members who had an open goal all last week and did not check in; once per missed week."""
    now = now or timezone.now()
    sitting = Membership.objects.members().values("user_id")
    zones = User.objects.filter(is_active=True, pk__in=sitting, goals__closed_at__isnull=True)
    reminded = 0
    # One query per time zone, not per member: "last week" depends on the zone only.
    for zone_name in zones.values_list("timezone", flat=True).distinct().order_by():
        zone = ZoneInfo(zone_name)
        week = metrics.reminder_week(now, zone)
        if week is None:
            continue
        members = (
            User.objects.filter(
                is_active=True,
                pk__in=sitting,
                timezone=zone_name,
                goals__closed_at__isnull=True,
                goals__created_at__lt=metrics.week_start(week, zone),
            )
            .exclude(check_ins__week=week)
            .exclude(pk__in=CheckInReminder.objects.filter(week=week).values("member_id"))
            .distinct()
        )
        for member in members:
            reminded += _remind(member, week, now)
    return reminded
