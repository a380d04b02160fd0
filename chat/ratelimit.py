"""How many messages a person may send per room per window, counted in Redis (the cache without Redis).

While Redis does not answer (within its client's timeout) each process counts on its own, so sends keep
working, limited per process, instead of failing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache

from coaching.lib import redis as lib_redis

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


def _counts(keys: list[str], window: int, window_suffix: str) -> list[int]:
    client = lib_redis.sync_client()
    if client is None:
        return [_cache_count(key, window) for key in keys]
    # One pipeline of INCR + EXPIRE per send: a single round trip for a whole batch.
    pipe = client.pipeline(transaction=False)
    for key in keys:  # a key twice counts twice: each INCR answers the count so far
        pipe.incr(key)
        pipe.expire(key, window + 1, nx=True)
    try:
        return [int(count) for count in pipe.execute()[::2]]
    except lib_redis.UNAVAILABLE as error:
        lib_redis.warn_unavailable("rate limits counted in this process", error)
        return _local_counts(keys, window_suffix)


def retry_after_many(*, senders: Sequence[tuple[int, int]]) -> list[int | None]:
    """Count one send per (user_id, room_id), in order; each None within the limit, else seconds to wait."""
    window = settings.CHAT_RATE_LIMIT_SECONDS
    now = time.time()
    start = int(now // window) * window
    prefix = settings.CHANNEL_LAYER_PREFIX
    keys = [f"{prefix}:rate:{room_id}:{user_id}:{start}" for user_id, room_id in senders]
    counts = _counts(keys, window, f":{start}")
    wait = max(1, int(start + window - now + 0.999))
    return [None if count <= settings.CHAT_RATE_LIMIT_MESSAGES else wait for count in counts]


def retry_after(*, user_id: int, room_id: int) -> int | None:
    """Count one send; None when it is within the limit, else the seconds until the window ends."""
    return retry_after_many(senders=[(user_id, room_id)])[0]
