"""Who is online in a room: one entry per open socket, refreshed by heartbeats, stale after a timeout.

With Redis (several daphne processes) entries live in a sorted set per room; without it, in this process.
While Redis does not answer, a joining socket is told only about itself and nothing else fails; entries come
back with the next heartbeat.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis
from django.conf import settings

from coaching.lib import redis as lib_redis


class _Store(Protocol):
    async def put(self, room: str, member: str, now: float) -> None: ...
    async def drop(self, room: str, member: str) -> None: ...
    async def members(self, room: str, since: float) -> list[str]: ...


class _LocalStore:
    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, float]] = {}

    async def put(self, room: str, member: str, now: float) -> None:
        self.rooms.setdefault(room, {})[member] = now

    async def drop(self, room: str, member: str) -> None:
        self.rooms.get(room, {}).pop(member, None)

    async def members(self, room: str, since: float) -> list[str]:
        entries = self.rooms.get(room, {})
        for member in [m for m, seen in entries.items() if seen < since]:
            del entries[member]
        return list(entries)


class _RedisStore:
    def _client(self) -> aioredis.Redis:
        client = lib_redis.async_client()
        assert client is not None
        return client

    def _key(self, room: str) -> str:
        return f"{settings.CHANNEL_LAYER_PREFIX}:presence:{room}"

    async def put(self, room: str, member: str, now: float) -> None:
        key = self._key(room)
        async with self._client().pipeline(transaction=False) as pipe:
            pipe.zadd(key, {member: now})
            pipe.expire(key, settings.CHAT_PRESENCE_TIMEOUT_SECONDS * 2)
            await pipe.execute()

    async def drop(self, room: str, member: str) -> None:
        await self._client().zrem(self._key(room), member)

    async def members(self, room: str, since: float) -> list[str]:
        key = self._key(room)
        async with self._client().pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, "-inf", since)
            pipe.zrange(key, 0, -1)
            _, members = await pipe.execute()
        return [m.decode() for m in members]


_store: _Store = _RedisStore() if settings.REDIS_URL else _LocalStore()


def _member(user_id: int, socket: str) -> str:
    return f"{user_id}|{socket}"


async def _online(room: str) -> list[int]:
    since = time.time() - settings.CHAT_PRESENCE_TIMEOUT_SECONDS
    return sorted({int(member.split("|", 1)[0]) for member in await _store.members(room, since)})


async def online(room: str) -> list[int]:
    """The ids of people with at least one live socket in the room, ascending ([] while Redis is away)."""
    try:
        return await _online(room)
    except lib_redis.UNAVAILABLE as error:
        lib_redis.warn_unavailable("presence not read", error)
        return []


async def join(room: str, *, user_id: int, socket: str) -> tuple[list[int], bool]:
    """Record a new socket; returns who is online and whether that changed."""
    try:
        before = await _online(room)
        await _store.put(room, _member(user_id, socket), time.time())
        after = await _online(room)
    except lib_redis.UNAVAILABLE as error:
        lib_redis.warn_unavailable("presence not recorded", error)
        return [user_id], False
    return after, after != before


async def heartbeat(room: str, *, user_id: int, socket: str) -> None:
    """Keep a socket's entry fresh (clients ping every 25 s; entries go stale after 60 s)."""
    try:
        await _store.put(room, _member(user_id, socket), time.time())
    except lib_redis.UNAVAILABLE as error:
        lib_redis.warn_unavailable("presence not refreshed", error)


async def leave(room: str, *, user_id: int, socket: str) -> tuple[list[int], bool]:
    """Forget a socket; returns who is online and whether that changed (nothing while Redis is away)."""
    try:
        before = await _online(room)
        await _store.drop(room, _member(user_id, socket))
        after = await _online(room)
    except lib_redis.UNAVAILABLE as error:
        lib_redis.warn_unavailable("presence not updated", error)
        return [], False
    return after, after != before
