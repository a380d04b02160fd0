"""Garbage collection for the web process: `settle_after_start()` once the application has loaded.

A socket server keeps a few hundred objects alive per connection, and CPython's full collection walks all
of them with the event loop stopped: 0.75 s at 10,000 connections on a 2-CPU machine, every 20-25 s in
steady state (docs/benchmarks.md). Two settings make those walks rarer and shorter:
- the start-up objects (Django, the URLconf, templates, translations: they live as long as the process)
  are frozen out of every scan;
- the youngest generation is collected after YOUNG_THRESHOLD allocations rather than 700, so what is in
  flight (a frame being sent, a batch being written) has died before a collection could promote it
  towards the oldest generation, whose growth is what starts a full collection.
Cycles are still collected: only their collection is less frequent.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def settle_after_start() -> None:
    """Freeze what start-up left alive and collect the young generation less often (call once)."""
    gc.collect()  # start-up's own garbage goes first, so it is not frozen with the rest
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
