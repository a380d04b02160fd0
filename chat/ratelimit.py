"""How many messages a person may send per room per window; shared through the cache (Redis in production)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def retry_after(*, user_id: int, room_id: int) -> int | None:
    """Count one send; None when it is within the limit, else the seconds until the window ends."""
    window = settings.CHAT_RATE_LIMIT_SECONDS
    now = time.time()
    start = int(now // window) * window
    key = f"chat:rate:{room_id}:{user_id}:{start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count <= settings.CHAT_RATE_LIMIT_MESSAGES:
        return None
    return max(1, int(start + window - now + 0.999))
