"""Find meeting slots that fit everyone's waking hours and weekly availability; pure, DST-aware.

Each person has an IANA zone, waking hours (local) and optional weekly availability windows (local
weekday, start, end). A slot is a UTC interval; it fits a person when, on that date in their zone,
it lies inside their waking hours and (if they gave any) inside one availability window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from coaching.lib.hours import WAKING_HOURS


@dataclass(frozen=True)
class Window:
    """A weekly window in local time: weekday 0 (Monday) to 6, from `start` to `end` (end after start)."""

    weekday: int
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Person:
    """Someone who should be able to attend."""

    key: str
    zone: str
    waking: tuple[int, int] = WAKING_HOURS
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Miss:
    """Why a slot does not fit one person: `local` is the slot's start on their clock."""

    key: str
    reason: str  # "asleep" or "unavailable"
    local: dt.datetime


@dataclass(frozen=True)
class Slot:
    """A candidate slot with who it fits and who is outside it."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    fits: tuple[str, ...]
    outside: tuple[Miss, ...] = field(default=())


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _miss(person: Person, start: dt.datetime, end: dt.datetime) -> Miss | None:
    zone = ZoneInfo(person.zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    wake, sleep = person.waking[0] * 60, person.waking[1] * 60
    begins = _minutes(local_start.time())
    ends = begins + int((end - start).total_seconds() // 60)
    if local_end.date() != local_start.date() and _minutes(local_end.time()) != 0:
        ends = 24 * 60 + _minutes(local_end.time())
    if begins < wake or ends > sleep:
        return Miss(person.key, "asleep", local_start)
    if person.windows and not any(
        w.weekday == local_start.weekday() and _minutes(w.start) <= begins and ends <= _minutes(w.end)
        for w in person.windows
    ):
        return Miss(person.key, "unavailable", local_start)
    return None


def check(people: Sequence[Person], *, starts_at: dt.datetime, minutes: int) -> Slot:
    """How one slot fits each person."""
    end = starts_at + dt.timedelta(minutes=minutes)
    misses = [m for m in (_miss(p, starts_at, end) for p in people) if m is not None]
    missed = {m.key for m in misses}
    return Slot(starts_at, end, tuple(p.key for p in people if p.key not in missed), tuple(misses))


def find_slots(
    people: Sequence[Person],
    *,
    first_day: dt.date,
    days: int = 7,
    minutes: int = 60,
    step: int = 30,
    best: int = 5,
) -> list[Slot]:
    """The `best` slots over the days from `first_day` (UTC), most people fitting first, then earliest."""
    if not people:
        return []
    midnight = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)
    candidates: Iterable[dt.datetime] = (
        midnight + dt.timedelta(minutes=offset) for offset in range(0, days * 24 * 60, step)
    )
    slots = [check(people, starts_at=start, minutes=minutes) for start in candidates]
    slots.sort(key=lambda slot: (-len(slot.fits), slot.starts_at))
    return slots[:best]
