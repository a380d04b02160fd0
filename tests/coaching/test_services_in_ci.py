"""CI runs on the real services: PostgreSQL for data, Redis for the channel layer and cache."""

from __future__ import annotations

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
    assert type(layer).__name__ == "RedisChannelLayer"

    # And they really answer: a message goes through the Redis layer, a value through the Redis cache.
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "hello"})
    assert async_to_sync(layer.receive)(channel) == {"type": "hello"}
    cache.set("ci-probe", 42)
    assert cache.get("ci-probe") == 42
    assert type(caches["default"]).__name__ == "RedisCache"
