"""The process's Redis clients, from `settings.REDIS_URL`: one sync client, one async client per event loop.

Everything that talks to Redis directly (rate limits, presence, the hub's publisher, the mute cache) asks
here, so a process holds one pool per kind of client instead of one per module. None without Redis.
Every connection (these clients and the channel layer's) waits at most `TIMEOUT_SECONDS` for Redis, and a
pooled connection that died with a Redis restart is reconnected and its command retried once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

# A burst of sockets opening or closing waits for a connection instead of failing with MaxConnectionsError
# (redis-py's default pool raises at its limit).
ASYNC_MAX_CONNECTIONS = 100
ASYNC_WAIT_SECONDS = 10
# A command (or a connect) that takes longer than this is Redis being down: callers answer at once.
TIMEOUT_SECONDS = 1.0
# A connection idle this long is pinged before it is used again, so one left over from before a Redis
# restart is found dead before it carries a command.
HEALTH_CHECK_SECONDS = 5
# The same fault is logged (one line, no traceback) at most this often while Redis stays away.
WARN_EVERY_SECONDS = 10.0

# What a client raises when Redis is down, slow, or restarting.
UNAVAILABLE: tuple[type[BaseException], ...] = (redis.RedisError, OSError, TimeoutError)

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)
_warned: dict[str, float] = {}


def connection_options(*, for_asyncio: bool) -> dict[str, Any]:
    """Timeouts and one retry on ConnectionError/TimeoutError, for redis-py connections of either kind."""
    errors = (redis.ConnectionError, redis.TimeoutError)
    retry = (AsyncRetry if for_asyncio else Retry)(ExponentialBackoff(), 1, supported_errors=errors)
    return {
        "socket_timeout": TIMEOUT_SECONDS,
        "socket_connect_timeout": TIMEOUT_SECONDS,
        "health_check_interval": HEALTH_CHECK_SECONDS,
        "retry": retry,
    }


@functools.cache
def sync_client() -> redis.Redis | None:
    """The process's blocking client (thread-safe, pooled); None when Redis is not configured."""
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, **connection_options(for_asyncio=False))


def async_client() -> aioredis.Redis | None:
    """The running event loop's client (redis.asyncio connections belong to one loop); None without Redis."""
    if not settings.REDIS_URL:
        return None
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=ASYNC_MAX_CONNECTIONS,
            timeout=ASYNC_WAIT_SECONDS,
            **connection_options(for_asyncio=True),
        )
        client = _async_clients[loop] = aioredis.Redis(connection_pool=pool)
    return client


def warn_unavailable(what: str, error: BaseException) -> None:
    """Log that Redis failed `what`: one line without a traceback, at most once per WARN_EVERY_SECONDS."""
    now = time.monotonic()
    if now - _warned.get(what, -WARN_EVERY_SECONDS) >= WARN_EVERY_SECONDS:
        _warned[what] = now
        log.warning("redis unavailable: %s (%s: %s)", what, type(error).__name__, error)


class OutageFilter(logging.Filter):
    """For the channel layer's logger: a Redis fault it logs with a traceback (every second while Redis is
    down) becomes `warn_unavailable`'s one line; anything else passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not isinstance(error, UNAVAILABLE):
            return True
        warn_unavailable(f"channel layer: {record.getMessage()}", error)
        return False
