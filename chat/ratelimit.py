"""How many messages a person may send per room per window, counted in Redis (the cache without Redis).

A batch's counts are made by `chat.sending.Lookups`, in the one Redis script that also reads its mutes:
`tally`, the script, then `waits_from` (or `waits_in_cache`, `waits_counted_here` without Redis).

While Redis does not answer (within its client's timeout) each process counts on its own, so sends keep
working, limited per process, instead of failing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

# Counts made while Redis was unreachable: key -> count (the keys name their window; old ones are dropped).
_fallback: dict[str, int] = {}
_fallback_lock = threading.Lock()


def _cache_count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1


def _local_counts(keys: list[str], window_suffix: str) -> list[int]:
    with _fallback_lock:
        for key in [key for key in _fallback if not key.endswith(window_suffix)]:
            del _fallback[key]
        counts = []
        for key in keys:
            _fallback[key] = _fallback.get(key, 0) + 1
            counts.append(_fallback[key])
    return counts


@dataclass(frozen=True)
class Tally:
    """A batch's counts to make: one key per send, in order, all in the window starting at `start`."""

    keys: list[str]
    window: int
    start: int
    now: float


def tally(senders: Sequence[tuple[int, int]]) -> Tally:
    """The counts of one send per (user_id, room_id), in the current window."""
    window = settings.CHAT_RATE_LIMIT_SECONDS
    now = time.time()
    start = int(now // window) * window
    prefix = settings.CHANNEL_LAYER_PREFIX
    keys = [f"{prefix}:rate:{room_id}:{user_id}:{start}" for user_id, room_id in senders]
    return Tally(keys, window, start, now)


def waits_from(counts: Tally, numbers: Sequence[Any]) -> list[int | None]:
    """Per send, None within the limit or the seconds to wait, from its count in Redis (in order)."""
    return _waits(counts, [int(number) for number in numbers])


def waits_in_cache(counts: Tally) -> list[int | None]:
    """The same without Redis configured: counted in Django's cache."""
    return _waits(counts, [_cache_count(key, counts.window) for key in counts.keys])


def waits_counted_here(counts: Tally) -> list[int | None]:
    """The same while Redis does not answer: each process counts on its own."""
    return _waits(counts, _local_counts(counts.keys, f":{counts.start}"))


def _waits(counts: Tally, numbers: list[int]) -> list[int | None]:
    wait = max(1, int(counts.start + counts.window - counts.now + 0.999))
    return [None if number <= settings.CHAT_RATE_LIMIT_MESSAGES else wait for number in numbers]
