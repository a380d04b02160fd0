"""Reads for the scheduling pages and the sessions lists: upcoming sessions, suggested slots, clashes.

Two kinds of clash when booking a time. A session of the same circle, or of another circle the coach
coaches, is a hard clash (`busy_sessions`): nobody can lead or hold two rooms at once, so scheduling
refuses it. A session in another circle where one of the circle's people (a member, or the coach as a
member elsewhere) sits is a soft clash (`seat_clashes`): scheduling warns, names the person and asks the
coach to confirm. The slot finder offers neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
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
    exclude: Collection[int] = (),
) -> list[LiveSession]:
    """Scheduled or live sessions within [starts_at, ends_at) of the circle or of one the coach coaches."""
    circles = Membership.objects.coaches().filter(user=coach).values("circle_id")
    sessions = LiveSession.objects.filter(
        Q(circle=circle) | Q(circle_id__in=circles),
        status__in=BUSY,
        starts_at__lt=ends_at,
        starts_at__gt=starts_at - LONGEST_SESSION,
    ).select_related("circle")
    return [s for s in sessions.exclude(pk__in=exclude).order_by("starts_at") if _ends(s) > starts_at]


@dataclass(frozen=True)
class Clash:
    """One of the circle's people has another session when an occurrence being booked would take place.

    `circle_name` is the other session's circle only when the coach sits in it: a member's other circle is
    not the coach's business, so the coach learns who is busy and when, never where or what.
    """

    person: User
    starts_at: dt.datetime  # the occurrence being booked, not the other session
    week: int | None  # its place in a weekly series being booked (1 = the first); None for one session
    circle_name: str | None


def _seats_elsewhere(*, circle: Circle, coach: User) -> dict[int, list[User]]:
    """The circle's people (coach included) by the other circles they sit in, except those the coach
    coaches: those are hard clashes, refused before any warning."""
    people = Membership.objects.current().filter(circle=circle).values("user_id")
    coached = Membership.objects.coaches().filter(user=coach).values("circle_id")
    seats = (
        Membership.objects.current()
        .filter(user_id__in=people, user__is_active=True)
        .exclude(circle=circle)
        .exclude(circle_id__in=coached)
        .select_related("user")
    )
    elsewhere: dict[int, list[User]] = {}
    for seat in seats:
        elsewhere.setdefault(seat.circle_id, []).append(seat.user)
    return elsewhere


def _sessions_elsewhere(
    circles: Collection[int], *, since: dt.datetime, until: dt.datetime, exclude: Collection[int] = ()
) -> list[LiveSession]:
    sessions = LiveSession.objects.filter(
        circle_id__in=circles, status__in=BUSY, starts_at__lt=until, starts_at__gt=since - LONGEST_SESSION
    ).exclude(pk__in=exclude)
    return [s for s in sessions.select_related("circle").order_by("starts_at") if _ends(s) > since]


def seat_clashes(
    *,
    circle: Circle,
    coach: User,
    starts: Sequence[dt.datetime],
    minutes: int,
    exclude: Collection[int] = (),
) -> list[Clash]:
    """Who of the circle has a session in another circle at any of `starts` (each `minutes` long): one
    clash per person and occurrence, by time then name. Sessions in `exclude` (the ones being moved) and
    hard clashes are not counted."""
    if not starts:
        return []
    length = dt.timedelta(minutes=minutes)
    elsewhere = _seats_elsewhere(circle=circle, coach=coach)
    others = _sessions_elsewhere(elsewhere, since=min(starts), until=max(starts) + length, exclude=exclude)
    coach_sits = set(Membership.objects.current().filter(user=coach).values_list("circle_id", flat=True))
    found: dict[tuple[int, dt.datetime], Clash] = {}
    for week, start in enumerate(starts, start=1):
        for other in others:
            if not (other.starts_at < start + length and start < _ends(other)):
                continue
            name = other.circle.name if other.circle_id in coach_sits else None
            for person in elsewhere[other.circle_id]:
                found.setdefault(
                    (person.pk, start),
                    Clash(person, start, week if len(starts) > 1 else None, name),
                )
    return sorted(found.values(), key=lambda c: (c.starts_at, c.person.name.casefold()))


def later_in_series(session: LiveSession) -> int:
    """How many scheduled sessions of the session's weekly series come after it."""
    if session.series is None:
        return 0
    return LiveSession.objects.filter(
        series=session.series,
        circle_id=session.circle_id,
        status=LiveSession.Status.SCHEDULED,
        starts_at__gt=session.starts_at,
    ).count()


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
    *,
    circle: Circle,
    coach: User,
    minutes: int,
    now: dt.datetime | None = None,
    exclude: Collection[int] = (),
) -> list[SuggestedSlot]:
    """The best slot of each of the next days for the circle's people (waking hours, their availability)."""
    now = now or timezone.now()
    people, users = _people(circle)
    # A slot clashing with any session of the circle's people is never offered: this circle's, the
    # coach's other circles', or one a member (or the coach as a member) has in another circle.
    until = now + dt.timedelta(days=SLOT_DAYS + 1)
    taken = busy_sessions(circle=circle, coach=coach, starts_at=now, ends_at=until, exclude=exclude)
    taken += _sessions_elsewhere(_seats_elsewhere(circle=circle, coach=coach), since=now, until=until)
    busy = [(s.starts_at, _ends(s)) for s in taken]
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
