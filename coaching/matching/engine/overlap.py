"""Waking-time arithmetic on the 24-hour UTC clock, in whole minutes, for IANA zones on a given date.

Waking hours repeat every day, so a person's waking window is an arc on a circle of 1,440 minutes:
Los Angeles 8-22 is 16:00-06:00 UTC in January and Tokyo 8-22 is 23:00-13:00 UTC, so they share
23:00-06:00, seven hours, although neither window crosses the other's local midnight. Two arcs longer
than half a day can meet twice (morning and evening); what counts is the longest single stretch,
because a session needs one sitting. Everyone's waking window has the same length (the programme's
`waking_hours`), which keeps the arithmetic exact and simple.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import ArrayLike, NDArray

MINUTES_PER_DAY = 24 * 60


def utc_offset_minutes(*, timezone: str, on: date) -> int:
    """The zone's UTC offset in minutes (east positive) at local noon on `on`, daylight saving included."""
    # Noon, because clocks change at night: the offset at noon is the one in force for the waking day.
    offset = datetime.combine(on, time(12), tzinfo=ZoneInfo(timezone)).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return int(offset.total_seconds()) // 60


def waking_start_utc(*, offset_minutes: int, local_start_minute: int) -> int:
    """The UTC minute of the day (0-1439) at which a waking window that starts at a local minute begins."""
    return (local_start_minute - offset_minutes) % MINUTES_PER_DAY


def pair_overlap_minutes(start_a: ArrayLike, start_b: ArrayLike, *, length: int) -> NDArray[np.int64]:
    """Longest shared stretch of two daily windows of `length` minutes starting at these UTC minutes.

    Works element-wise on arrays (broadcasting), which is how all member-coach pairs are scored at once.
    """
    # With b starting `gap` minutes after a, they share [gap, length) and, when b runs past midnight
    # of a's circle, [0, gap + length - 1440); the two pieces never touch while length < 1440.
    gap = np.mod(np.asarray(start_b, dtype=np.int64) - np.asarray(start_a, dtype=np.int64), MINUTES_PER_DAY)
    return np.maximum(np.maximum(length - gap, gap + length - MINUTES_PER_DAY), 0)


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of the UTC day: it starts at minute `start` (0-1439) and lasts `minutes`.

    `weekday` (0 = Monday, UTC) is set when the stretch was found on a week (someone gave availability
    windows), None when it repeats every day.
    """

    start: int
    minutes: int
    weekday: int | None = None

    def utc(self) -> list[str]:
        """Start and end as ["HH:MM", "HH:MM"]; the end may be earlier than the start (past midnight)."""
        return [_clock(self.start), _clock(self.start + self.minutes)]

    @property
    def hours(self) -> float:
        return self.minutes / 60


def shared_window(starts: Sequence[int], *, length: int) -> Window | None:
    """The longest stretch inside every daily window (start, length); None when they share no minute."""
    best = None
    # A shared stretch begins when its last person wakes, so only the starts can begin the longest one;
    # from there it lasts as long as the person with the least waking time left.
    for start in sorted(set(starts)):
        minutes = min(length - (start - other) % MINUTES_PER_DAY for other in starts)
        if minutes > 0 and (best is None or minutes > best.minutes):
            best = Window(start=start, minutes=minutes)
    return best


def hours_text(minutes: int) -> str:
    """Minutes as plain hours for people: 300 -> "5", 330 -> "5.5"."""
    return f"{round(minutes / 60, 2):g}"


def _clock(minute: int) -> str:
    hours, minutes = divmod(minute % MINUTES_PER_DAY, 60)
    return f"{hours:02d}:{minutes:02d}"
