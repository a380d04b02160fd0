"""Reads for the scheduling pages and the sessions lists: upcoming sessions and suggested slots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from circles.models import Circle, Membership
from coaching.accounts.models import AvailabilityWindow, User
from coaching.lib.hours import WAKING_HOURS
from coaching.live.models import LiveSession
from coaching.live.overlap import Person, Slot, Window, find_slots

LONGEST_SESSION = dt.timedelta(minutes=480)
SLOT_DAYS = 7
SLOT_COUNT = 5
LEAD = dt.timedelta(hours=1)  # a slot starting in minutes is no use to anyone


BUSY = [LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE]


def busy_sessions(
    *,
    circle: Circle,
    coach: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude: int | None = None,
) -> list[LiveSession]:
    """Scheduled or live sessions within [starts_at, ends_at) of the circle or of one the coach coaches."""
    circles = Membership.objects.coaches().filter(user=coach).values("circle_id")
    sessions = LiveSession.objects.filter(
        Q(circle=circle) | Q(circle_id__in=circles),
        status__in=BUSY,
        starts_at__lt=ends_at,
        starts_at__gt=starts_at - LONGEST_SESSION,
    ).select_related("circle")
    if exclude is not None:
        sessions = sessions.exclude(pk=exclude)
    return [s for s in sessions.order_by("starts_at") if _ends(s) > starts_at]


def _ends(session: LiveSession) -> dt.datetime:
    return session.starts_at + dt.timedelta(minutes=session.duration_minutes)


def _not_over(sessions: list[LiveSession], *, now: dt.datetime) -> list[LiveSession]:
    return [s for s in sessions if s.starts_at + dt.timedelta(minutes=s.duration_minutes) > now]


def upcoming_sessions(*, user: User, now: dt.datetime | None = None, limit: int = 5) -> list[LiveSession]:
    """The next sessions (live or scheduled, not over) of the circles this person sits in now."""
    now = now or timezone.now()
    circles = Membership.objects.current().filter(user=user).values("circle_id")
    sessions = LiveSession.objects.filter(
        circle_id__in=circles,
        status__in=[LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE],
        starts_at__gt=now - LONGEST_SESSION,
    ).select_related("circle")
    return _not_over(list(sessions.order_by("starts_at")[: limit + 10]), now=now)[:limit]


def circle_upcoming_sessions(
    *, circle: Circle, now: dt.datetime | None = None, limit: int = 5
) -> list[LiveSession]:
    """The circle's next sessions (live or scheduled, not over)."""
    now = now or timezone.now()
    sessions = LiveSession.objects.filter(
        circle=circle,
        status__in=[LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE],
        starts_at__gt=now - LONGEST_SESSION,
    ).select_related("circle")
    return _not_over(list(sessions.order_by("starts_at")[: limit + 10]), now=now)[:limit]


def circle_recent_sessions(
    *, circle: Circle, now: dt.datetime | None = None, limit: int = 3
) -> list[LiveSession]:
    """The circle's sessions that have started or ended, latest first (their logs can be written)."""
    now = now or timezone.now()
    begun = Q(starts_at__lte=now) | Q(status__in=[LiveSession.Status.LIVE, LiveSession.Status.ENDED])
    sessions = (
        LiveSession.objects.filter(begun, circle=circle)
        .exclude(status=LiveSession.Status.CANCELLED)
        .select_related("circle", "log")
    )
    return list(sessions.order_by("-starts_at")[:limit])


@dataclass(frozen=True)
class Outside:
    """Someone a suggested slot does not fit: `reason` is "asleep" or "unavailable"; `local` their clock."""

    name: str
    reason: str
    local: dt.datetime


@dataclass(frozen=True)
class SuggestedSlot:
    """A slot to offer the coach, in the coach's zone, with who it leaves out and why."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    outside: tuple[Outside, ...]

    @property
    def fits_everyone(self) -> bool:
        return not self.outside


def _people(circle: Circle) -> tuple[list[Person], dict[str, User]]:
    users = {
        seat.user.username: seat.user
        for seat in Membership.objects.current().filter(circle=circle).select_related("user")
    }
    windows: dict[int, list[Window]] = {}
    for window in AvailabilityWindow.objects.filter(user__in=users.values()):
        windows.setdefault(window.user_id, []).append(
            Window(window.weekday, window.starts_at, window.ends_at)
        )
    people = [
        Person(key=username, zone=user.timezone, waking=WAKING_HOURS, windows=tuple(windows.get(user.pk, ())))
        for username, user in users.items()
    ]
    return people, users


def suggested_slots(
    *, circle: Circle, coach: User, minutes: int, now: dt.datetime | None = None, exclude: int | None = None
) -> list[SuggestedSlot]:
    """The best slot of each of the next days for the circle's people (waking hours, their availability)."""
    now = now or timezone.now()
    people, users = _people(circle)
    # A slot clashing with a session of this circle or another of the coach's is never offered.
    busy = [
        (s.starts_at, _ends(s))
        for s in busy_sessions(
            circle=circle,
            coach=coach,
            starts_at=now,
            ends_at=now + dt.timedelta(days=SLOT_DAYS + 1),
            exclude=exclude,
        )
    ]
    # Candidates start on UTC half-hours; ask for them all, then keep the ones ahead of us.
    slots = find_slots(
        people, first_day=now.astimezone(dt.UTC).date(), days=SLOT_DAYS + 1, minutes=minutes, best=10_000
    )
    # One slot per day of the coach's: five half-hour shifts of the same afternoon are no choice at all.
    chosen: dict[dt.date, Slot] = {}
    for slot in slots:
        day = slot.starts_at.astimezone(coach.zone).date()
        if any(start < slot.ends_at and slot.starts_at < end for start, end in busy):
            continue
        if now + LEAD <= slot.starts_at <= now + dt.timedelta(days=SLOT_DAYS) and day not in chosen:
            chosen[day] = slot
            if len(chosen) == SLOT_COUNT:
                break
    return [
        SuggestedSlot(
            starts_at=slot.starts_at.astimezone(coach.zone),
            ends_at=slot.ends_at.astimezone(coach.zone),
            outside=tuple(Outside(users[miss.key].name, miss.reason, miss.local) for miss in slot.outside),
        )
        for slot in chosen.values()
    ]
