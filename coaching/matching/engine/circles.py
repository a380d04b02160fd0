"""The baseline's circles: a coach's members cut into runs of similar waking hours (no language rule).

This was the engine's formation before formation.py; `greedy` still uses it, so the benchmark shows
what the optimisation changes (how many circles meet the rules).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .overlap import MINUTES_PER_DAY


def split_by_hours(*, members: Sequence[tuple[int, int]], length: int, size_max: int) -> list[list[int]]:
    """Members, given as (index, UTC start of waking window), in the fewest even circles of <= size_max.

    Members are ordered by the middle of their waking window around the clock, starting after the
    widest gap, and cut into consecutive runs: people awake at similar hours land together.
    """
    if not members:
        return []
    count = math.ceil(len(members) / size_max)
    ordered = _around_the_clock(members, length=length)
    base, extra = divmod(len(ordered), count)
    groups, first = [], 0
    for number in range(count):
        size = base + (1 if number < extra else 0)
        groups.append([member for member, _ in ordered[first : first + size]])
        first += size
    return groups


def _around_the_clock(members: Sequence[tuple[int, int]], *, length: int) -> list[tuple[int, int]]:
    """Members sorted by the UTC middle of their waking window, the clock cut at its widest gap."""
    ordered = sorted(members, key=lambda member: (member[1] + length // 2) % MINUTES_PER_DAY)
    middles = [(start + length // 2) % MINUTES_PER_DAY for _, start in ordered]
    gaps = [(middles[(i + 1) % len(middles)] - middles[i]) % MINUTES_PER_DAY for i in range(len(middles))]
    # Ties go to the later gap, so a clock with no wider gap than the one across the end stays as sorted.
    widest = max(range(len(gaps)), key=lambda i: (gaps[i], i))
    cut = (widest + 1) % len(ordered)
    return ordered[cut:] + ordered[:cut]
