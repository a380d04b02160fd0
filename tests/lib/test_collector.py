"""The web process's garbage-collection settings (coaching/lib/collector.py) and where they are applied."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from coaching import server
from coaching.lib import collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_settling_freezes_what_start_up_left_and_collects_the_young_less_often() -> None:
    gc.unfreeze()
    alive = [object() for _ in range(10)]
    collector.settle_after_start()
    # Everything alive at start-up is out of the collector's scans; new objects are not.
    assert gc.get_freeze_count() >= len(alive)
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
    young: list[object] = []
    assert any(candidate is young for candidate in gc.get_objects(generation=0))


@pytest.mark.usefixtures("restored_collector")
def test_the_web_process_loads_the_named_application_before_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    settled: list[bool] = []
    monkeypatch.setattr(collector, "settle_after_start", lambda: settled.append(True))
    server.load_application(["--uvicorn", "--host", "::1", "--port", "8000", "coaching.asgi:application"])
    assert settled == [True]
    assert "coaching.asgi" in sys.modules
    settled.clear()
    server.load_application(["--host", "::1", "-p", "8000"])  # no application named: nothing to settle
    assert settled == []
