"""Fixtures for matching tests: the small programme of the circles tests, shared rather than copied."""

from __future__ import annotations

from tests.circles.conftest import World, person, world

__all__ = ["World", "person", "world"]
