"""bench.stages: each profiled stack lands in the stage of its deepest named frame, and shares become µs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stages import breakdown, stage_of

LOOP = ["BaseEventLoop.run_forever (asyncio/base_events.py:608)", "Handle._run (asyncio/events.py:84)"]


def test_a_socket_write_called_by_the_hub_is_a_socket_write() -> None:
    stack = [
        *LOOP,
        "Hub._deliver_to (coaching/lib/realtime.py:300)",
        "RoomConsumer.send_frame (chat/consumers.py:240)",
        "WebSocketProtocol.handle_reply (daphne/ws_protocol.py:200)",
        "Connection.write (twisted/internet/abstract.py:350)",
    ]
    assert stage_of(stack) == "socket write"


def test_redis_waited_on_by_the_rate_limit_counts_as_the_rate_limit() -> None:
    stack = [
        "Thread.run (threading.py:982)",
        "answer_sends (chat/writer.py:30)",
        "send_messages (chat/sending.py:520)",
        "Lookups._limits_and_mutes (chat/sending.py:131)",
        "Script.__call__ (redis/commands/core.py:5900)",
        "Redis.execute_command (redis/client.py:600)",
    ]
    assert stage_of(stack) == "rate limit and mutes"


def test_the_loop_alone_is_the_event_loop_and_waits_are_not_counted() -> None:
    assert stage_of([*LOOP, "_SelectorSocketTransport._read_ready (asyncio/selector_events.py:900)"]) == (
        "event loop"
    )
    assert (
        stage_of(
            [
                "BaseEventLoop._run_once (asyncio/base_events.py:1900)",
                "EpollSelector.select (selectors.py:468)",
            ]
        )
        is None
    )
    assert stage_of(["Thread.run (threading.py:982)", "_worker (concurrent/futures/thread.py:81)"]) is None


def test_shares_of_a_profile_become_cpu_microseconds_per_message(tmp_path: Path) -> None:
    profile = tmp_path / "400.txt"
    profile.write_text(
        "thread (1): MainThread;"
        + ";".join([*LOOP, "Connection.write (twisted/internet/abstract.py:350)"])
        + " 30\n"
        "thread (2): ThreadPoolExecutor;Thread.run (threading.py:982);answer_sends (chat/writer.py:30) 10\n"
        "thread (1): MainThread;BaseEventLoop._run_once (asyncio/base_events.py:1900);"
        "EpollSelector.select (selectors.py:468) 60\n"
    )
    rows = {row["stage"]: row for row in breakdown(profile, us_per_delivery=100.0)}
    assert rows["socket write"]["share"] == pytest.approx(0.75)
    assert rows["insert and commit"]["us_per_delivery"] == pytest.approx(25.0)
    assert rows["insert and commit"]["us_per_message"] == pytest.approx(175.0)  # a circle of 7 hears each
    assert sum(float(row["share"]) for row in rows.values()) == pytest.approx(1.0)


def test_with_the_loop_threads_measured_cpu_each_thread_shares_its_own(tmp_path: Path) -> None:
    # The database thread's samples are inflated (py-spy counts waits on PostgreSQL as active): with the main
    # thread's CPU measured from /proc, its samples share 80 of the 100 µs and the other thread's the rest.
    profile = tmp_path / "400.txt"
    profile.write_text(
        "thread (1): MainThread;"
        + ";".join([*LOOP, "Connection.write (twisted/internet/abstract.py:350)"])
        + " 30\n"
        "thread (2): ThreadPoolExecutor;Thread.run (threading.py:982);answer_sends (chat/writer.py:30) 70\n"
    )
    rows = {row["stage"]: row for row in breakdown(profile, 100.0, loop_us_per_delivery=80.0)}
    assert rows["socket write"]["us_per_delivery"] == pytest.approx(80.0)
    assert rows["insert and commit"]["us_per_delivery"] == pytest.approx(20.0)
    assert sum(float(row["share"]) for row in rows.values()) == pytest.approx(1.0)
