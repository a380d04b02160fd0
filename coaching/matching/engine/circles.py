"""Splitting a coach's members into circles of the allowed sizes, people awake at similar hours together."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .overlap import MINUTES_PER_DAY, Window, shared_window


@dataclass(frozen=True, slots=True)
class Circle:
    """A proposed circle; `window` is when coach and members are all awake (None if never)."""

    coach: str
    members: tuple[str, ...]
    window: Window | None
    undersized: bool


def form_circles(
    *,
    coach: str,
    coach_start: int,
    members: Sequence[tuple[str, int]],
    length: int,
    size_min: int,
    size_max: int,
) -> list[Circle]:
    """Circles for one coach's members, given as (id, UTC start of waking window), in a stable order.

    The fewest circles that respect `size_max` (ceil(n / max)), as even in size as possible; a circle
    below `size_min` is flagged undersized (a coach with fewer members than `size_min`, or sizes that
    no split can meet). Members are taken in order of the middle of their waking window around the
    clock, starting after the widest gap, and cut into consecutive runs: people awake at similar
    hours land together.
    """
    if not members:
        return []
    count = math.ceil(len(members) / size_max)
    ordered = _around_the_clock(members, length=length)
    base, extra = divmod(len(ordered), count)
    circles, first = [], 0
    for number in range(count):
        size = base + (1 if number < extra else 0)
        group = ordered[first : first + size]
        first += size
        circles.append(
            Circle(
                coach=coach,
                members=tuple(member_id for member_id, _ in group),
                window=shared_window([coach_start, *(start for _, start in group)], length=length),
                undersized=size < size_min,
            )
        )
    return circles


def _around_the_clock(members: Sequence[tuple[str, int]], *, length: int) -> list[tuple[str, int]]:
    """Members sorted by the UTC middle of their waking window, the clock cut at its widest gap."""
    ordered = sorted(members, key=lambda member: (member[1] + length // 2) % MINUTES_PER_DAY)
    middles = [(start + length // 2) % MINUTES_PER_DAY for _, start in ordered]
    gaps = [(middles[(i + 1) % len(middles)] - middles[i]) % MINUTES_PER_DAY for i in range(len(middles))]
    # Ties go to the later gap, so a clock with no wider gap than the one across the end stays as sorted.
    widest = max(range(len(gaps)), key=lambda i: (gaps[i], i))
    cut = (widest + 1) % len(ordered)
    return ordered[cut:] + ordered[:cut]
