"""Attendance arithmetic: spans of time in the room or on stage turned into totals (pure, no ORM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

Interval = tuple[dt.datetime, dt.datetime]
# A span as recorded: an open span (end None) lasts until the session ends.
Span = tuple[dt.datetime, dt.datetime | None]


@dataclass(frozen=True)
class Totals:
    """One person's attendance of a session, inside the live window."""

    joined_at: dt.datetime | None
    left_at: dt.datetime | None
    seconds_present: int
    seconds_on_stage: int

    @property
    def present(self) -> bool:
        """Whether the person was in the room at any moment while the session was live (even under 1 s)."""
        return self.joined_at is not None


def union(spans: Iterable[Span], *, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """The spans clipped to [start, end] and merged: sorted, disjoint, non-empty intervals."""
    clipped: list[Interval] = []
    for begin, finish in spans:
        low, high = max(begin, start), min(finish or end, end)
        if low < high:
            clipped.append((low, high))
    clipped.sort()
    merged: list[Interval] = []
    for begin, finish in clipped:
        if merged and begin <= merged[-1][1]:
            # Overlapping or touching (two tabs, a quick reconnect): one stretch of presence, counted once.
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def intersection(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """Where two sorted, disjoint interval lists overlap."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        begin = max(first[i][0], second[j][0])
        finish = min(first[i][1], second[j][1])
        if begin < finish:
            result.append((begin, finish))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def seconds(intervals: Iterable[Interval]) -> int:
    """The whole seconds covered by disjoint intervals."""
    return int(sum(((finish - begin) for begin, finish in intervals), dt.timedelta()).total_seconds())


def totals(
    *, present: Iterable[Span], stage: Iterable[Span], started_at: dt.datetime, ended_at: dt.datetime
) -> Totals:
    """First join, last leave, seconds present and seconds on stage, all within [started_at, ended_at]."""
    in_room = union(present, start=started_at, end=ended_at)
    # Stage seats survive a dropped connection; time on stage counts only while the person was in the room.
    on_stage = intersection(union(stage, start=started_at, end=ended_at), in_room)
    return Totals(
        joined_at=in_room[0][0] if in_room else None,
        left_at=in_room[-1][1] if in_room else None,
        seconds_present=seconds(in_room),
        seconds_on_stage=seconds(on_stage),
    )
