"""CI runs on the real services: PostgreSQL for data, Redis for the channel layer and cache."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache, caches
from django.db import connection


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_it_uses_postgresql_and_redis_when_configured():
    layer = get_channel_layer()
    assert connection.vendor == "postgresql"
    assert type(layer).__name__ == "RedisPubSubChannelLayer"

    # And they really answer: a message goes through Redis pub/sub, a value through the Redis cache.
    async def round_trip() -> dict:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "hello"})
        return await asyncio.wait_for(layer.receive(channel), timeout=2)

    assert async_to_sync(round_trip)() == {"type": "hello"}
    cache.set("ci-probe", 42)
    assert cache.get("ci-probe") == 42
    assert type(caches["default"]).__name__ == "RedisCache"
