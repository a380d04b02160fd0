"""Waking-time overlap on the UTC clock: real zones, daylight saving time, half-hour zones, midnight."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coaching.matching.engine.overlap import (
    Window,
    pair_overlap_minutes,
    shared_window,
    utc_offset_minutes,
    waking_start_utc,
)

from .clocks import shared_minutes

JANUARY = date(2026, 1, 15)
JULY = date(2026, 7, 15)


def start(timezone: str, on: date, hour: float = 8) -> int:
    return waking_start_utc(
        offset_minutes=utc_offset_minutes(timezone=timezone, on=on), local_start_minute=round(hour * 60)
    )


def overlap_hours(zone_a: str, zone_b: str, on: date, waking: tuple[int, int] = (8, 22)) -> float:
    length = (waking[1] - waking[0]) * 60
    window = shared_window([start(zone_a, on, waking[0]), start(zone_b, on, waking[0])], length=length)
    return window.hours if window else 0


def test_it_measures_los_angeles_and_tokyo_around_the_clock():
    assert overlap_hours("America/Los_Angeles", "Asia/Tokyo", JANUARY) == 7


def test_it_reports_a_window_that_crosses_midnight_utc():
    window = shared_window(
        [start("America/Los_Angeles", JANUARY), start("Asia/Tokyo", JANUARY)], length=14 * 60
    )
    assert window == Window(start=23 * 60, minutes=7 * 60)
    assert window.utc() == ["23:00", "06:00"]


def test_it_follows_daylight_saving_time_on_the_reference_date():
    # Santiago moves back an hour for the southern winter while Madrid moves forward for its summer.
    assert overlap_hours("America/Santiago", "Europe/Madrid", JANUARY, waking=(9, 17)) == 4
    assert overlap_hours("America/Santiago", "Europe/Madrid", JULY, waking=(9, 17)) == 2


def test_it_handles_half_hour_zones():
    assert utc_offset_minutes(timezone="Asia/Kolkata", on=JANUARY) == 330
    assert overlap_hours("Asia/Kolkata", "Europe/London", JANUARY) == 8.5
    window = shared_window([start("Asia/Kolkata", JANUARY), start("Europe/London", JANUARY)], length=14 * 60)
    assert window is not None
    assert window.utc() == ["08:00", "16:30"]


def test_it_takes_the_longest_single_stretch_when_two_long_days_meet_twice():
    # Twelve hours apart, 14-hour days meet for 2 h in one person's morning and 2 h in their evening.
    assert shared_window([0, 12 * 60], length=14 * 60) == Window(start=0, minutes=120)
    assert int(pair_overlap_minutes(0, 12 * 60, length=14 * 60)) == 120


def test_it_finds_no_window_when_someone_is_always_asleep_then():
    assert shared_window([0, 8 * 60, 16 * 60], length=8 * 60) is None


def test_it_finds_the_window_a_whole_group_shares():
    starts = [start(zone, JANUARY) for zone in ("America/Bogota", "Europe/Madrid", "Africa/Lagos")]
    window = shared_window(starts, length=14 * 60)
    assert window is not None
    assert window.utc() == ["13:00", "21:00"]
    assert window.hours == 8


@pytest.mark.parametrize(
    ("zone_a", "zone_b"),
    [
        ("America/Los_Angeles", "Asia/Tokyo"),
        ("America/Santiago", "Europe/Madrid"),
        ("Asia/Kolkata", "America/New_York"),
        ("Australia/Sydney", "Europe/London"),
        ("Pacific/Auckland", "America/Los_Angeles"),
    ],
)
@pytest.mark.parametrize("on", [JANUARY, JULY])
def test_it_agrees_with_reading_the_clocks_minute_by_minute(zone_a, zone_b, on):
    assert overlap_hours(zone_a, zone_b, on) * 60 == shared_minutes([zone_a, zone_b], on, (8, 22))


@given(
    a=st.integers(0, 1439),
    b=st.integers(0, 1439),
    length=st.integers(1, 1439),
)
def test_it_scores_pairs_in_bulk_exactly_as_one_by_one(a, b, length):
    window = shared_window([a, b], length=length)
    assert int(pair_overlap_minutes(np.array([a]), np.array([b]), length=length)[0]) == (
        window.minutes if window else 0
    )
