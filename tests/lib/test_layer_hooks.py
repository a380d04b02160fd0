"""The private channels_redis hooks coaching.lib.realtime relies on: these fail first if they change.

channels-redis is pinned exactly (pyproject.toml); before raising the pin, run these against the new version.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import create_pool, decode_hosts
from django.conf import settings
from redis.asyncio.connection import AbstractConnection

from coaching.lib import realtime
from coaching.lib import redis as lib_redis


def test_the_pinned_version_is_the_one_installed() -> None:
    assert importlib.metadata.version("channels-redis") == "4.3.0"


def test_decode_hosts_hands_back_a_host_dict_with_its_address() -> None:
    host = {"address": "redis://127.0.0.1:6379/3", "socket_timeout": None}
    assert list(inspect.signature(decode_hosts).parameters) == ["hosts"]
    assert decode_hosts([host]) == [host]
    assert decode_hosts(["redis://127.0.0.1:6379/3"]) == [{"address": "redis://127.0.0.1:6379/3"}]


def test_the_layer_keeps_its_settings_and_serializes_symmetrically() -> None:
    hosts = [{"address": "redis://127.0.0.1:6379/3"}]
    layer = RedisPubSubChannelLayer(hosts=hosts, prefix="hooks")
    assert layer._kwargs == {"hosts": hosts, "prefix": "hooks"}
    event: dict[str, Any] = {"type": "room.frame", "text": "ñ", "skip": "", "group": "room.1"}
    assert isinstance(layer.serialize(event), bytes)
    assert layer.deserialize(layer.serialize(event)) == event


async def test_each_event_loop_gets_a_loop_layer_that_names_group_channels() -> None:
    layer = RedisPubSubChannelLayer(hosts=[{"address": "redis://127.0.0.1:6379/3"}], prefix="hooks")
    assert list(inspect.signature(layer._get_layer).parameters) == []
    loop_layer = layer._get_layer()
    assert isinstance(loop_layer, RedisPubSubLoopLayer)
    assert layer._get_layer() is loop_layer  # one per loop
    assert list(inspect.signature(loop_layer._get_group_channel_name).parameters) == ["group"]
    assert loop_layer._get_group_channel_name("room.7") == "hooks__group__room.7"


@pytest.mark.redis
async def test_what_the_publisher_publishes_reaches_a_real_subscriber_of_the_group() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubChannelLayer)
    assert decode_hosts(layer._kwargs["hosts"])[0]["address"] == settings.REDIS_URL
    publisher = realtime._RedisPublisher.for_layer(layer)
    assert publisher is not None  # the hub takes the one-round-trip path in production
    channel = await layer.new_channel()
    await layer.group_add("hooks.round-trip", channel)
    try:
        events = [
            {"type": "room.frame", "text": f"{n}", "skip": "", "group": "hooks.round-trip"} for n in range(3)
        ]
        await publisher.publish([("hooks.round-trip", event) for event in events])
        heard = [await asyncio.wait_for(layer.receive(channel), timeout=5) for _ in events]
        assert heard == events
    finally:
        await layer.group_discard("hooks.round-trip", channel)


def test_a_host_dicts_options_reach_the_layers_connections() -> None:
    # settings.CHANNEL_LAYERS gives the layer our timeouts and retry through the host dict.
    options = lib_redis.connection_options(for_asyncio=True)
    pool = create_pool({"address": "redis://127.0.0.1:6379/3", **options})
    connection = pool.make_connection()
    assert connection.socket_timeout == lib_redis.TIMEOUT_SECONDS
    assert connection.socket_connect_timeout == lib_redis.TIMEOUT_SECONDS
    assert connection.health_check_interval == lib_redis.HEALTH_CHECK_SECONDS
    assert connection.retry.get_retries() == 1


@pytest.mark.redis
async def test_the_hub_finds_each_shards_subscription_connection_and_can_watch_it_reconnect() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisPubSubChannelLayer)
    channel = await layer.new_channel()
    (shard,) = layer._get_layer()._shards
    assert isinstance(shard, RedisSingleShardConnection)
    connection = shard._pubsub.connection
    assert isinstance(connection, AbstractConnection)
    assert list(inspect.signature(connection.register_connect_callback).parameters) == ["callback"]
    assert channel.encode() in shard._pubsub.channels  # what redis-py subscribes again on a reconnect

    class Watcher:
        def __init__(self) -> None:
            self.called = asyncio.Event()

        def reconnected(self, connection: object) -> None:
            self.called.set()

    watcher = Watcher()
    connection.register_connect_callback(watcher.reconnected)
    await connection.disconnect()
    # The layer's receive task reconnects (redis-py re-subscribes first), then calls us.
    await asyncio.wait_for(watcher.called.wait(), timeout=5)
    await layer.send(channel, {"type": "after"})
    assert await asyncio.wait_for(layer.receive(channel), timeout=5) == {"type": "after"}
