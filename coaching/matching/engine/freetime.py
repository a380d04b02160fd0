"""When people are free: arcs on a UTC clock a day long, or a week long when someone gave availability.

A person is free during their waking hours (the programme's `waking_hours`, local time) and, when
they gave weekly availability windows, only inside those too. Without availability everyone's free
time repeats daily, so a 1,440-minute clock is exact; as soon as one person of a group has weekly
windows, the group is looked at on a 10,080-minute week (minute 0 = Monday 00:00 UTC), where a
daily waking window is seven arcs. Either way a person's free time is a few disjoint arcs
(start, length) on the clock, and the longest stretch a group shares begins where one of its
people's arcs begins: that is what `remaining` and `shared_stretch` are built on, and the circle
formation model (formation.py) uses the same anchors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache

import numpy as np
from numpy.typing import NDArray

from .overlap import MINUTES_PER_DAY, Window, utc_offset_minutes
from .problem import Availability, Coach, Member, Rules

MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

Arcs = tuple[tuple[int, int], ...]
"""Disjoint (start, length) arcs on the clock, sorted by start; an arc may run past the clock's end."""


def clock_period(people: Sequence[Coach | Member | None]) -> int:
    """The clock a group is looked at on: a day, or a week when anyone in it gave availability windows."""
    return MINUTES_PER_WEEK if any(person and person.availability for person in people) else MINUTES_PER_DAY


def free_arcs(person: Coach | Member, *, rules: Rules, on: date, period: int) -> Arcs:
    """The person's free time on the UTC clock of `period` minutes, on the reference date's offsets."""
    return _free_arcs(person.timezone, person.availability, rules.waking_hours, on, period)


@cache
def _free_arcs(
    timezone: str,
    availability: tuple[Availability, ...],
    waking: tuple[float, float],
    on: date,
    period: int,
) -> Arcs:
    offset = utc_offset_minutes(timezone=timezone, on=on)
    start = round(waking[0] * 60)
    length = round(waking[1] * 60) - start
    if period == MINUTES_PER_DAY:
        # Availability needs the week; a day clock is only used when nobody in the group gave any.
        return (((start - offset) % MINUTES_PER_DAY, length),)
    free = np.zeros(period, dtype=bool)
    for day in range(7):
        _mark(free, day * MINUTES_PER_DAY + start - offset, length)
    if availability:
        chosen = np.zeros(period, dtype=bool)
        for window in availability:
            _mark(
                chosen,
                window.weekday * MINUTES_PER_DAY + window.start_minute - offset,
                window.end_minute - window.start_minute,
            )
        free &= chosen
    return _runs(free)


def _mark(minutes: NDArray[np.bool_], start: int, length: int) -> None:
    period = len(minutes)
    first = start % period
    minutes[first : first + length] = True
    if first + length > period:
        minutes[: first + length - period] = True


def _runs(minutes: NDArray[np.bool_]) -> Arcs:
    """Runs of True around the clock as (start, length), a run across the clock's end kept whole."""
    period = len(minutes)
    if minutes.all():
        return ((0, period),)
    if not minutes.any():
        return ()
    # Rotate so the clock starts on a free-to-busy edge: then no run crosses the array's end.
    shift = int(np.flatnonzero(~minutes)[0])
    rolled = np.roll(minutes, -shift).astype(np.int8)
    edges = np.diff(np.concatenate([[0], rolled, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return tuple(sorted(((int(s) + shift) % period, int(e - s)) for s, e in zip(starts, ends, strict=True)))


def remaining(arcs: Arcs, anchors: NDArray[np.int64], *, period: int) -> NDArray[np.int64]:
    """How long the person stays free from each anchor minute on (0 where they are not free then)."""
    left = np.zeros(len(anchors), dtype=np.int64)
    for start, length in arcs:
        into = np.mod(anchors - start, period)
        left = np.maximum(left, np.where(into < length, length - into, 0))
    return left


def anchors_of(arc_lists: Sequence[Arcs]) -> NDArray[np.int64]:
    """Every minute at which someone's free time starts: the longest shared stretch starts at one."""
    return np.unique(np.array([start for arcs in arc_lists for start, _ in arcs], dtype=np.int64))


def shared_stretch(arc_lists: Sequence[Arcs], *, period: int) -> Window | None:
    """The longest stretch during which everyone is free; None when they never all are (or no one)."""
    if not arc_lists:
        return None
    anchors = anchors_of(arc_lists)
    if not len(anchors):
        return None
    together = np.min([remaining(arcs, anchors, period=period) for arcs in arc_lists], axis=0)
    best = int(np.argmax(together))  # ties to the earliest anchor
    minutes = int(together[best])
    if minutes <= 0:
        return None
    return window_at(int(anchors[best]), minutes, period=period)


def window_at(anchor: int, minutes: int, *, period: int) -> Window:
    """A stretch found on a clock of `period` minutes, as a Window (with its UTC weekday on a week clock)."""
    if period == MINUTES_PER_DAY:
        return Window(start=anchor, minutes=minutes)
    return Window(start=anchor % MINUTES_PER_DAY, minutes=minutes, weekday=anchor // MINUTES_PER_DAY)
