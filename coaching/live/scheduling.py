"""Scheduling live sessions: the coach picks a local time; weekly sessions keep it across DST.

Schedule, reschedule and cancel one session or the rest of a weekly series, all or nothing. A time taken
by the circle or by another circle the coach coaches is refused; a time when one of the circle's people
has a session in another circle warns (ClashWarning) until the coach confirms. Every change of time or
status tells the circle once, bumps the calendar SEQUENCE of each changed session, and is announced to
open session pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
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
from coaching.accounts.zones import time_zone_label
from coaching.live import stage
from coaching.live.errors import SessionRuleError
from coaching.live.models import LiveSession
from coaching.live.reminders import session_params
from coaching.live.selectors import Clash, busy_sessions, seat_clashes
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
            % {"time": local.strftime("%Y-%m-%d %H:%M"), "zone": time_zone_label(zone)},
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
    confirm: str = "",
) -> list[LiveSession]:
    """Schedule one session, or `weeks` weekly ones, at `local_start` in the coach's zone.

    A hard clash in any week is refused; soft clashes raise ClashWarning unless confirmed (see
    reschedule_session).
    """
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
    _check_free(
        coach=coach,
        circle=circle,
        starts=starts,
        duration_minutes=duration_minutes,
        exclude=[],
        confirm=confirm,
    )
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


def _in_scope(session: LiveSession, *, following: bool) -> list[LiveSession]:
    """The locked session, then (with `following`) the later scheduled sessions of its series, locked."""
    if not following or session.series is None:
        return [session]
    later = (
        LiveSession.objects.select_for_update()
        .select_related("circle")
        .filter(
            series=session.series,
            circle_id=session.circle_id,
            status=LiveSession.Status.SCHEDULED,
            starts_at__gt=session.starts_at,
        )
        .order_by("starts_at")
    )
    return [session, *later]


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
    following: bool = False,
    confirm: str = "",
) -> list[LiveSession]:
    """Edit a scheduled session, or it and the later sessions of its weekly series (`following`).

    `local_start` is the session's new start on the coach's clock. Each later session keeps its distance
    in weeks from this one and lands on the same wall-clock time in the coach's zone, across DST, as a
    new weekly series does. All or nothing: one refused week (a hard clash, a time the clocks skip)
    changes none. Soft clashes (a member busy in another circle) raise ClashWarning unless `confirm`
    is the digest of exactly those clashes. Members are told once, only when the time moved; calendars
    see a new SEQUENCE for every session whose time or length changed. Returns the sessions in scope.
    """
    title = _checked(title=title, duration_minutes=duration_minutes)
    session = _locked_scheduled(coach=coach, session=session)
    sessions = _in_scope(session, following=following)
    week = dt.timedelta(weeks=1)
    starts = [
        local_to_utc(local_start + round((s.starts_at - session.starts_at) / week) * week, coach.timezone)
        for s in sessions
    ]
    moved = [s.pk for s, start in zip(sessions, starts, strict=True) if start != s.starts_at]
    if moved and starts[0] != session.starts_at and starts[0] <= timezone.now():
        raise SessionRuleError(_("A session must start in the future."), code="in_the_past")
    retimed = bool(moved) or any(s.duration_minutes != duration_minutes for s in sessions)
    if retimed:
        _check_free(
            coach=coach,
            circle=session.circle,
            starts=starts,
            duration_minutes=duration_minutes,
            exclude=[s.pk for s in sessions],
            confirm=confirm,
        )
    changed: list[LiveSession] = []
    for each, starts_at in zip(sessions, starts, strict=True):
        each.title, each.agenda = title, agenda.strip()
        fields = ["title", "agenda"]
        if starts_at != each.starts_at or duration_minutes != each.duration_minutes:
            if starts_at != each.starts_at:
                each.starts_at, each.timezone = starts_at, coach.timezone
                # The reminders sent were about the old time: the new time gets its own.
                each.reminded_day_before_at = each.reminded_soon_at = None
                fields += ["starts_at", "timezone", "reminded_day_before_at", "reminded_soon_at"]
            each.duration_minutes = duration_minutes
            each.revision += 1  # calendar apps replace an event only for a higher SEQUENCE
            fields += ["duration_minutes", "revision"]
            changed.append(each)
        each.save(update_fields=fields)
    if moved:
        first = next(s for s in sessions if s.pk in moved)
        _tell(
            coach=coach,
            sessions=[s for s in sessions if s.pk in moved],
            kind=Kind.SESSION_CHANGED,
            dedupe_key=f"session:{first.pk}:changed:{first.starts_at.astimezone(dt.UTC).isoformat()}",
        )
    for each in changed:
        stage.announce(session=each)  # an open session page shows the new time
    return sessions


@transaction.atomic
def cancel_session(
    *, coach: User, session: LiveSession, reason: str = "", following: bool = False
) -> list[LiveSession]:
    """Cancel a scheduled session, or it and the later sessions of its series (`following`), with a
    reason shown on their pages: they leave the upcoming lists, get no reminders, stay in calendar feeds
    marked CANCELLED with a new SEQUENCE, members are told once, and open session pages hear it live."""
    reason = reason.strip()
    if len(reason) > 500:
        raise SessionRuleError(_("The reason can be at most 500 characters."), code="bad_reason")
    session = _locked_scheduled(coach=coach, session=session)
    sessions = _in_scope(session, following=following)
    now = timezone.now()
    for each in sessions:
        each.status = LiveSession.Status.CANCELLED
        each.cancelled_at, each.cancel_reason = now, reason
        each.revision += 1
        each.save(update_fields=["status", "cancelled_at", "cancel_reason", "revision"])
    _tell(
        coach=coach,
        sessions=sessions,
        kind=Kind.SESSION_CANCELLED,
        dedupe_key=f"session:{session.pk}:cancelled" + (":and-following" if len(sessions) > 1 else ""),
    )
    for each in sessions:
        stage.announce(session=each)
    return sessions


def _tell(*, coach: User, sessions: list[LiveSession], kind: Kind, dedupe_key: str) -> None:
    # One notification per person per change, about its first session: a moved series is one piece of news.
    first = sessions[0]
    params: dict[str, object] = {**session_params(first)}
    if len(sessions) > 1:
        params["following"] = len(sessions) - 1
    notify_all(
        recipients=_people_of(first.circle),
        kind=kind,
        actor=coach,
        url=reverse("session_room", args=[first.pk]),
        dedupe_key=dedupe_key,
        params=params,
    )


def _lock_calendars(*, coach: User, circle: Circle) -> None:
    # Two schedulings at once for the same circle or coach wait for each other, so neither double-books.
    coached = Membership.objects.coaches().filter(user=coach).values("circle_id")
    list(
        Circle.objects.select_for_update()
        .filter(Q(pk=circle.pk) | Q(pk__in=coached))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


class ClashWarning(SessionRuleError):
    """Some of the circle's people have another session then: book only when the coach confirms.

    `digest` names exactly these clashes; passing it back as `confirm` books the same time anyway, while
    a different time (or a clash that appeared meanwhile) warns again.
    """

    def __init__(self, clashes: list[Clash]) -> None:
        super().__init__(
            _("Some of the circle's people have another session then. Book it anyway, or pick another time."),
            code="clash",
        )
        self.clashes = clashes
        self.digest = clash_digest(clashes)


def clash_digest(clashes: list[Clash]) -> str:
    """A short fingerprint of a set of clashes (who, which occurrence), for the confirm button."""
    keys = sorted(f"{c.person.pk}@{c.starts_at.astimezone(dt.UTC).isoformat()}" for c in clashes)
    return hashlib.sha256("|".join(keys).encode()).hexdigest()[:32]


def _check_free(
    *,
    coach: User,
    circle: Circle,
    starts: list[dt.datetime],
    duration_minutes: int,
    exclude: list[int],
    confirm: str,
) -> None:
    """Refuse a hard clash in any week; warn about soft clashes unless `confirm` accepts exactly them."""
    length = dt.timedelta(minutes=duration_minutes)
    ordered = sorted(starts)
    if any(later < earlier + length for earlier, later in itertools.pairwise(ordered)):
        raise SessionRuleError(
            _("Two sessions of the series would overlap each other; pick another time."), code="overlap"
        )
    _lock_calendars(coach=coach, circle=circle)
    for start in starts:
        _refuse_overlap(
            coach=coach, circle=circle, starts_at=start, duration_minutes=duration_minutes, exclude=exclude
        )
    clashes = seat_clashes(
        circle=circle, coach=coach, starts=starts, minutes=duration_minutes, exclude=exclude
    )
    if clashes and not hmac.compare_digest(clash_digest(clashes), confirm):
        raise ClashWarning(clashes)


def _refuse_overlap(
    *,
    coach: User,
    circle: Circle,
    starts_at: dt.datetime,
    duration_minutes: int,
    exclude: list[int] | None = None,
) -> None:
    clashes = busy_sessions(
        circle=circle,
        coach=coach,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=duration_minutes),
        exclude=exclude or (),
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
