"""The process's Redis clients, from `settings.REDIS_URL`: one sync client, one async client per event loop.

Everything that talks to Redis directly (rate limits, presence, the hub's publisher, the mute cache) asks
here, so a process holds one pool per kind of client instead of one per module. None without Redis.
"""

from __future__ import annotations

import asyncio
import functools
import weakref

import redis
import redis.asyncio as aioredis
from django.conf import settings

# A burst of sockets opening or closing waits for a connection instead of failing with MaxConnectionsError
# (redis-py's default pool raises at its limit).
ASYNC_MAX_CONNECTIONS = 100
ASYNC_WAIT_SECONDS = 10

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


@functools.cache
def sync_client() -> redis.Redis | None:
    """The process's blocking client (thread-safe, pooled); None when Redis is not configured."""
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def async_client() -> aioredis.Redis | None:
    """The running event loop's client (redis.asyncio connections belong to one loop); None without Redis."""
    if not settings.REDIS_URL:
        return None
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=ASYNC_MAX_CONNECTIONS, timeout=ASYNC_WAIT_SECONDS
        )
        client = _async_clients[loop] = aioredis.Redis(connection_pool=pool)
    return client
