"""An independent oracle for waking-time overlap: read each person's local clock minute by minute."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60


@cache
def awake_minutes(timezone: str, on: date, waking: tuple[float, float]) -> frozenset[int]:
    """The UTC minutes of the day at which the local clock shows waking hours."""
    midnight = datetime(on.year, on.month, on.day, tzinfo=ZoneInfo("UTC"))
    zone = ZoneInfo(timezone)
    minutes = set()
    for minute in range(MINUTES_PER_DAY):
        local = (midnight + timedelta(minutes=minute)).astimezone(zone)
        if waking[0] * 60 <= local.hour * 60 + local.minute < waking[1] * 60:
            minutes.add(minute)
    return frozenset(minutes)


def longest_stretch(minutes: frozenset[int] | set[int]) -> int:
    """The longest run of consecutive minutes, around the clock."""
    if len(minutes) == MINUTES_PER_DAY:
        return MINUTES_PER_DAY
    best = 0
    for first in minutes:
        if (first - 1) % MINUTES_PER_DAY in minutes:
            continue
        length = 0
        while (first + length) % MINUTES_PER_DAY in minutes:
            length += 1
        best = max(best, length)
    return best


def shared_minutes(zones: list[str], on: date, waking: tuple[float, float]) -> int:
    """The longest stretch during which everyone in these zones is awake."""
    together = frozenset(range(MINUTES_PER_DAY))
    for zone in zones:
        together &= awake_minutes(zone, on, waking)
    return longest_stretch(together)
