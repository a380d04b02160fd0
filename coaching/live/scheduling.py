"""Scheduling live sessions: the coach picks a local time; weekly sessions keep it across DST."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.access import is_coach_of
from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.live.errors import SessionRuleError
from coaching.live.models import LiveSession
from coaching.live.reminders import session_params
from coaching.live.selectors import busy_sessions
from coaching.notifications.kinds import Kind
from coaching.notifications.services import notify_all

MAX_WEEKS = 26


def local_to_utc(local: dt.datetime, zone: str) -> dt.datetime:
    """A wall-clock time in a zone as a UTC instant; refuses a time the clocks skip (DST gap)."""
    tz = ZoneInfo(zone)
    aware = local.replace(tzinfo=tz, fold=0)
    roundtrip = aware.astimezone(dt.UTC).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != local:
        raise SessionRuleError(
            _("%(time)s does not exist in %(zone)s that day (the clocks skip it); pick another time.")
            % {"time": local.strftime("%Y-%m-%d %H:%M"), "zone": zone},
            code="nonexistent_time",
        )
    return aware.astimezone(dt.UTC)


@transaction.atomic
def schedule_session(
    *,
    coach: User,
    circle: Circle,
    title: str,
    agenda: str = "",
    local_start: dt.datetime,
    duration_minutes: int = 90,
    weeks: int = 1,
) -> list[LiveSession]:
    """Schedule one session, or `weeks` weekly ones, at `local_start` in the coach's zone."""
    if not is_coach_of(user=coach, circle_id=circle.pk):
        raise SessionRuleError(_("Only the circle's coach can schedule its sessions."), code="forbidden")
    title = _checked(title=title, duration_minutes=duration_minutes)
    if not 1 <= weeks <= MAX_WEEKS:
        raise SessionRuleError(
            _("A weekly series has from 1 to %(max)d sessions.") % {"max": MAX_WEEKS}, code="bad_weeks"
        )
    starts = [local_to_utc(local_start + dt.timedelta(weeks=week), coach.timezone) for week in range(weeks)]
    if starts[0] <= timezone.now():
        raise SessionRuleError(_("A session must start in the future."), code="in_the_past")
    _lock_calendars(coach=coach, circle=circle)
    for start in starts:
        _refuse_overlap(coach=coach, circle=circle, starts_at=start, duration_minutes=duration_minutes)
    series = uuid.uuid4() if weeks > 1 else None
    sessions = LiveSession.objects.bulk_create(
        LiveSession(
            circle=circle,
            title=title,
            agenda=agenda.strip(),
            starts_at=start,
            duration_minutes=duration_minutes,
            timezone=coach.timezone,
            series=series,
            created_by=coach,
        )
        for start in starts
    )
    _tell_scheduled(coach=coach, circle=circle, first=sessions[0])
    return sessions


def _checked(*, title: str, duration_minutes: int) -> str:
    title = title.strip()
    if not title or len(title) > 200:
        raise SessionRuleError(_("A session needs a title of 1 to 200 characters."), code="bad_title")
    if not 15 <= duration_minutes <= 480:
        raise SessionRuleError(_("A session lasts from 15 minutes to 8 hours."), code="bad_duration")
    return title


def _locked_scheduled(*, coach: User, session: LiveSession) -> LiveSession:
    """The session locked, when `coach` coaches its circle and it has not started, ended or been cancelled."""
    if not is_coach_of(user=coach, circle_id=session.circle_id):
        raise SessionRuleError(_("Only the circle's coach can change its sessions."), code="forbidden")
    locked = LiveSession.objects.select_for_update().select_related("circle").get(pk=session.pk)
    if locked.status != LiveSession.Status.SCHEDULED:
        messages = {
            LiveSession.Status.LIVE: _("This session is live; it can no longer be changed or cancelled."),
            LiveSession.Status.ENDED: _("This session has ended; it can no longer be changed or cancelled."),
            LiveSession.Status.CANCELLED: _("This session was cancelled."),
        }
        raise SessionRuleError(messages[LiveSession.Status(locked.status)], code="not_scheduled")
    return locked


def _people_of(circle: Circle) -> models.QuerySet[User]:
    return User.objects.filter(
        pk__in=Membership.objects.current().filter(circle=circle).values("user_id"), is_active=True
    )


@transaction.atomic
def reschedule_session(
    *,
    coach: User,
    session: LiveSession,
    title: str,
    agenda: str,
    local_start: dt.datetime,
    duration_minutes: int,
) -> LiveSession:
    """Edit a scheduled session (time in the coach's zone); members are told only when its time changed."""
    title = _checked(title=title, duration_minutes=duration_minutes)
    session = _locked_scheduled(coach=coach, session=session)
    starts_at = local_to_utc(local_start, coach.timezone)
    moved = starts_at != session.starts_at
    if moved and starts_at <= timezone.now():
        raise SessionRuleError(_("A session must start in the future."), code="in_the_past")
    if moved or duration_minutes != session.duration_minutes:
        _lock_calendars(coach=coach, circle=session.circle)
        _refuse_overlap(
            coach=coach,
            circle=session.circle,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            exclude=session.pk,
        )
    session.title, session.agenda, session.duration_minutes = title, agenda.strip(), duration_minutes
    fields = ["title", "agenda", "duration_minutes"]
    if moved:
        session.starts_at, session.timezone = starts_at, coach.timezone
        # The reminders sent were about the old time: the new time gets its own.
        session.reminded_day_before_at = session.reminded_soon_at = None
        session.revision += 1
        fields += ["starts_at", "timezone", "reminded_day_before_at", "reminded_soon_at", "revision"]
    session.save(update_fields=fields)
    if moved:
        notify_all(
            recipients=_people_of(session.circle),
            kind=Kind.SESSION_CHANGED,
            actor=coach,
            url=reverse("session_room", args=[session.pk]),
            dedupe_key=f"session:{session.pk}:changed:{session.starts_at.astimezone(dt.UTC).isoformat()}",
            params=session_params(session),
        )
    return session


@transaction.atomic
def cancel_session(*, coach: User, session: LiveSession, reason: str = "") -> LiveSession:
    """Cancel a scheduled session: it leaves the upcoming lists, gets no reminders, and members are told."""
    reason = reason.strip()
    if len(reason) > 500:
        raise SessionRuleError(_("The reason can be at most 500 characters."), code="bad_reason")
    session = _locked_scheduled(coach=coach, session=session)
    session.status = LiveSession.Status.CANCELLED
    session.cancelled_at, session.cancel_reason = timezone.now(), reason
    session.revision += 1
    session.save(update_fields=["status", "cancelled_at", "cancel_reason", "revision"])
    notify_all(
        recipients=_people_of(session.circle),
        kind=Kind.SESSION_CANCELLED,
        actor=coach,
        url=reverse("session_room", args=[session.pk]),
        dedupe_key=f"session:{session.pk}:cancelled",
        params=session_params(session),
    )
    return session


def _lock_calendars(*, coach: User, circle: Circle) -> None:
    # Two schedulings at once for the same circle or coach wait for each other, so neither double-books.
    coached = Membership.objects.coaches().filter(user=coach).values("circle_id")
    list(
        Circle.objects.select_for_update()
        .filter(Q(pk=circle.pk) | Q(pk__in=coached))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _refuse_overlap(
    *, coach: User, circle: Circle, starts_at: dt.datetime, duration_minutes: int, exclude: int | None = None
) -> None:
    clashes = busy_sessions(
        circle=circle,
        coach=coach,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=duration_minutes),
        exclude=exclude,
    )
    if clashes:
        clash = clashes[0]
        raise SessionRuleError(
            _("This overlaps “%(title)s” of %(circle)s at %(time)s; pick another time.")
            % {
                "title": clash.title,
                "circle": clash.circle.name,
                "time": clash.starts_at.astimezone(coach.zone).strftime("%Y-%m-%d %H:%M"),
            },
            code="overlap",
        )


def _tell_scheduled(*, coach: User, circle: Circle, first: LiveSession) -> None:
    # One notification per series, about its first session: a weekly series is one piece of news.
    notify_all(
        recipients=_people_of(circle),
        kind=Kind.SESSION_SCHEDULED,
        actor=coach,
        url=reverse("session_room", args=[first.pk]),
        dedupe_key=f"session:{first.pk}:scheduled",
        params=session_params(first),
    )


def sessions_for(*, user: User, since: dt.datetime | None = None) -> list[LiveSession]:
    """Sessions of the circles this person sits in now, from `since` on (default: the last 30 days)."""
    since = since or timezone.now() - dt.timedelta(days=30)
    circles = Membership.objects.current().filter(user=user).values("circle_id")
    return list(
        LiveSession.objects.filter(circle_id__in=circles, starts_at__gte=since)
        .select_related("circle")
        .order_by("starts_at")
    )
