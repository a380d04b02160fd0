"""Quiet hours on each person's own clock, across zones and a DST change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coaching.notifications.quiet import after_quiet, quiet_end

NIGHT = {"start": dt.time(22, 0), "end": dt.time(8, 0)}


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "moment", "ends"),
    [
        # 23:30 in Los Angeles (UTC-8 in January): quiet until 08:00 there, 16:00 UTC next day.
        ("America/Los_Angeles", utc(2027, 1, 12, 7, 30), utc(2027, 1, 12, 16, 0)),
        # 06:00 in Nairobi (UTC+3): quiet until 08:00, 05:00 UTC the same day.
        ("Africa/Nairobi", utc(2027, 1, 12, 3, 0), utc(2027, 1, 12, 5, 0)),
        # 22:00 sharp in Madrid (UTC+1) is quiet: until 08:00 the next morning.
        ("Europe/Madrid", utc(2027, 1, 12, 21, 0), utc(2027, 1, 13, 7, 0)),
    ],
)
def test_it_defers_to_the_end_of_the_night_on_the_persons_clock(zone, moment, ends):
    assert quiet_end(moment, zone=ZoneInfo(zone), **NIGHT) == ends
    assert after_quiet(moment, zone=ZoneInfo(zone), **NIGHT) == ends


@pytest.mark.parametrize(
    ("zone", "moment"),
    [
        ("America/Los_Angeles", utc(2027, 1, 12, 20, 0)),  # noon there
        ("Africa/Nairobi", utc(2027, 1, 12, 5, 0)),  # 08:00 sharp: the quiet hours are over
        ("Europe/Madrid", utc(2027, 1, 12, 20, 59)),  # 21:59
    ],
)
def test_it_lets_the_day_through(zone, moment):
    assert quiet_end(moment, zone=ZoneInfo(zone), **NIGHT) is None
    assert after_quiet(moment, zone=ZoneInfo(zone), **NIGHT) == moment


def test_the_night_the_clocks_go_back_still_ends_at_eight_local():
    # Madrid leaves summer time on 31 October 2027 at 03:00 (UTC+2 -> UTC+1): 23:00 on the 30th local is
    # 21:00 UTC, and 08:00 on the 31st local is 07:00 UTC, a night an hour longer than usual.
    madrid = ZoneInfo("Europe/Madrid")
    ends = quiet_end(utc(2027, 10, 30, 21, 0), zone=madrid, **NIGHT)
    assert ends == utc(2027, 10, 31, 7, 0)
    assert ends.astimezone(madrid).hour == 8


def test_the_night_the_clocks_go_forward_ends_at_eight_local():
    # Los Angeles springs forward on 14 March 2027 (UTC-8 -> UTC-7): 08:00 local is 15:00 UTC.
    ends = quiet_end(utc(2027, 3, 14, 7, 0), zone=ZoneInfo("America/Los_Angeles"), **NIGHT)
    assert ends == utc(2027, 3, 14, 15, 0)


def test_quiet_hours_inside_one_day_and_none_at_all():
    zone = ZoneInfo("UTC")
    afternoon = {"start": dt.time(13, 0), "end": dt.time(15, 0)}
    assert quiet_end(utc(2027, 1, 12, 14, 0), zone=zone, **afternoon) == utc(2027, 1, 12, 15, 0)
    assert quiet_end(utc(2027, 1, 12, 16, 0), zone=zone, **afternoon) is None
    never = {"start": dt.time(8, 0), "end": dt.time(8, 0)}
    assert quiet_end(utc(2027, 1, 12, 3, 0), zone=zone, **never) is None
