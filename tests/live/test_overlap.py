"""The overlap finder: slots inside everyone's waking hours and availability, across zones and DST."""

from __future__ import annotations

import datetime as dt

from coaching.live.overlap import Person, Window, check, find_slots

UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_it_finds_a_slot_for_madrid_bogota_and_nairobi():
    people = [
        Person("ana", "Europe/Madrid"),
        Person("camila", "America/Bogota"),
        Person("grace", "Africa/Nairobi"),
    ]
    best = find_slots(people, first_day=dt.date(2026, 1, 12), days=1, minutes=60)[0]
    assert best.fits == ("ana", "camila", "grace")
    # Bogotá wakes at 08:00 = 13:00 UTC; Nairobi sleeps at 22:00 = 19:00 UTC: the earliest full fit is 13:00.
    assert best.starts_at == at(2026, 1, 12, 13, 0)


def test_it_says_who_is_outside_a_slot_and_why():
    people = [Person("ana", "Europe/Madrid"), Person("emma", "America/Los_Angeles")]
    slot = check(people, starts_at=at(2026, 1, 12, 9, 0), minutes=60)
    assert slot.fits == ("ana",)
    (miss,) = slot.outside
    assert (miss.key, miss.reason, miss.local.strftime("%H:%M")) == ("emma", "asleep", "01:00")


def test_availability_windows_narrow_the_choice():
    weekday_evenings = tuple(Window(d, dt.time(18, 0), dt.time(21, 0)) for d in range(5))
    people = [Person("kofi", "Africa/Accra", windows=weekday_evenings), Person("james", "America/New_York")]
    best = find_slots(people, first_day=dt.date(2026, 1, 12), days=2, minutes=60)[0]
    assert best.fits == ("kofi", "james")
    assert 18 <= best.starts_at.hour <= 20  # Accra is UTC+0
    late = check(people, starts_at=at(2026, 1, 17, 18, 0), minutes=60)  # a Saturday
    assert [m.reason for m in late.outside] == ["unavailable"]


def test_daylight_saving_moves_what_fits():
    # New York 08:00 is 13:00 UTC in January but 12:00 UTC in July; Madrid 21:00 is 20:00 vs 19:00 UTC.
    people = [Person("sofia", "America/New_York"), Person("martina", "Europe/Madrid")]
    assert check(people, starts_at=at(2026, 1, 14, 12, 30), minutes=60).fits == ("martina",)
    assert check(people, starts_at=at(2026, 7, 15, 12, 30), minutes=60).fits == ("sofia", "martina")


def test_a_slot_crossing_local_midnight_is_outside_waking_hours():
    slot = check(
        [Person("tokyo", "Asia/Tokyo")], starts_at=at(2026, 1, 12, 14, 30), minutes=60
    )  # 23:30 local
    assert slot.fits == ()


def test_nobody_means_no_slots():
    assert find_slots([], first_day=dt.date(2026, 1, 12)) == []
