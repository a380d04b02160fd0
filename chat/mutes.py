"""Each room's active mutes, read on every send: cached in Redis (the process's client), else in-process.

`chat.sending.Lookups` reads them in the Redis script that also counts the batch's rate limits (`keys`, then
`from_replies`), or with `in_process` when no Redis is configured.

While Redis does not answer, mutes are read from the database (the record), never skipped."""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.utils import timezone

from chat.models import Mute
from coaching.lib import redis as lib_redis

TTL_SECONDS = 60

Mutes = dict[int, dict[int, dt.datetime]]  # room id -> user id -> muted until


def _key(room_id: int) -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:chat:mutes:{room_id}"


def _local() -> BaseCache:
    # Without Redis: the default (in-process) cache.
    return caches["default"]


def keys(room_ids: set[int]) -> list[str]:
    """The Redis keys of the rooms' cached mutes, in the order `from_replies` reads their values."""
    return [_key(room_id) for room_id in sorted(room_ids)]


def _parsed(room_ids: set[int], raws: Sequence[bytes | None]) -> Mutes:
    # Our own values only, written by `_store` below.
    return {
        room_id: pickle.loads(raw)  # noqa: S301
        for room_id, raw in zip(sorted(room_ids), raws, strict=True)
        if raw
    }


def _store(values: dict[str, dict[int, dt.datetime]]) -> None:
    client = lib_redis.sync_client()
    if client is None:
        _local().set_many(values, timeout=TTL_SECONDS)
        return
    pipe = client.pipeline(transaction=False)
    for key, value in values.items():
        pipe.set(key, pickle.dumps(value), ex=TTL_SECONDS)
    try:
        pipe.execute()
    except lib_redis.UNAVAILABLE as error:
        lib_redis.warn_unavailable("mutes not cached", error)


def in_process(room_ids: set[int]) -> Mutes:
    """Without Redis configured: the rooms' mutes from the in-process cache, the database for the rest."""
    keys = {room_id: _key(room_id) for room_id in room_ids}
    cached = _local().get_many(list(keys.values()))
    return _completed(room_ids, {room_id: cached[key] for room_id, key in keys.items() if key in cached})


def from_replies(room_ids: set[int], raws: Sequence[bytes | None] | None) -> Mutes:
    """The rooms' mutes from the values at their `keys` (None: Redis did not answer), else the database."""
    if raws is None:  # while Redis does not answer, the database is read every time
        return _completed(room_ids, {}, store=False)
    return _completed(room_ids, _parsed(room_ids, raws))


def _completed(room_ids: set[int], mutes: Mutes, *, store: bool = True) -> Mutes:
    missing = room_ids - mutes.keys()
    if missing:
        fresh: Mutes = {room_id: {} for room_id in missing}
        for room_id, user_id, until in Mute.objects.filter(
            room_id__in=missing, until__gt=timezone.now()
        ).values_list("room_id", "user_id", "until"):
            fresh[room_id][user_id] = max(until, fresh[room_id].get(user_id, until))
        if store:
            _store({_key(room_id): found for room_id, found in fresh.items()})
        mutes.update(fresh)
    return mutes


def forget_mutes(room_id: int) -> None:
    """Drop the room's cached mutes (after a new mute commits), so the next send reads them afresh."""
    client = lib_redis.sync_client()
    if client is None:
        _local().delete(_key(room_id))
    else:
        try:
            client.delete(_key(room_id))
        except lib_redis.UNAVAILABLE as error:
            # A Redis that restarted has no cache left; one that only stalled keeps it until TTL_SECONDS.
            lib_redis.warn_unavailable("a room's cached mutes were not dropped", error)
