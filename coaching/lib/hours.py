"""Waking hours: the local wall-clock hours when people are awake and may be asked to meet."""

from __future__ import annotations

# [start, end) in whole hours of each person's own clock: 8:00 to 22:00.
WAKING_HOURS: tuple[int, int] = (8, 22)
