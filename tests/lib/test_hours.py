"""Waking hours have one definition, and the slot finder and the scheduling page use it."""

from __future__ import annotations

import datetime as dt

import pytest

from circles.models import Circle
from coaching.lib import hours
from coaching.live import selectors
from coaching.live.overlap import Person, find_slots

pytestmark = pytest.mark.django_db


def test_it_suggests_slots_only_inside_the_one_definition_of_waking_hours(demo):
    assert hours.WAKING_HOURS == (8, 22)
    # The same object, not a copy that happens to agree today.
    assert Person(key="anyone", zone="UTC").waking is hours.WAKING_HOURS
    people, _users = selectors._people(Circle.objects.get(name="Puentes"))
    assert people
    assert all(person.waking is hours.WAKING_HOURS for person in people)
    slots = find_slots([Person(key="utc", zone="UTC")], first_day=dt.date(2027, 1, 4), days=1, best=100)
    fitting = [slot.starts_at.time() for slot in slots if slot.fits]
    start, end = hours.WAKING_HOURS
    assert (fitting[0], fitting[-1]) == (dt.time(start), dt.time(end - 1))  # hour-long slots
