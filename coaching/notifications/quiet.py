"""Quiet hours on a person's own clock: pure functions of an instant, a zone and two wall-clock times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def _at(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    # A wall-clock time the clocks skip (DST) means the first instant after the gap: round trip through UTC.
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC).astimezone(zone)


def quiet_end(moment: dt.datetime, *, zone: ZoneInfo, start: dt.time, end: dt.time) -> dt.datetime | None:
    """When the quiet hours around `moment` end (aware, in `zone`), or None if `moment` is not in them.

    Quiet hours run from `start` to `end` on the person's clock, across midnight when `end` < `start`
    (22:00-08:00); equal times mean no quiet hours.
    """
    if start == end:
        return None
    local = moment.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    if start < end:
        return _at(local.date(), end, zone) if start <= now < end else None
    if now >= start:
        return _at(local.date() + dt.timedelta(days=1), end, zone)
    if now < end:
        return _at(local.date(), end, zone)
    return None


def after_quiet(moment: dt.datetime, *, zone: ZoneInfo, start: dt.time, end: dt.time) -> dt.datetime:
    """`moment`, or the end of the quiet hours it falls in (as UTC)."""
    ends = quiet_end(moment, zone=zone, start=start, end=end)
    return (ends or moment).astimezone(dt.UTC)
