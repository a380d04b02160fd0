"""How many messages a person may send per room per window, counted in Redis (the cache without Redis)."""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.core.cache import cache

# One INCR + EXPIRE pipeline per send when Redis is configured: a single round trip.
_redis = redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def _count(key: str, window: int) -> int:
    if _redis is not None:
        pipe = _redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window + 1, nx=True)
        count, _expire = pipe.execute()
        return int(count)
    cache.add(key, 0, timeout=window + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        return 1


def retry_after(*, user_id: int, room_id: int) -> int | None:
    """Count one send; None when it is within the limit, else the seconds until the window ends."""
    window = settings.CHAT_RATE_LIMIT_SECONDS
    now = time.time()
    start = int(now // window) * window
    count = _count(f"{settings.CHANNEL_LAYER_PREFIX}:rate:{room_id}:{user_id}:{start}", window)
    if count <= settings.CHAT_RATE_LIMIT_MESSAGES:
        return None
    return max(1, int(start + window - now + 0.999))
