"""Attendance arithmetic, with answers worked out by hand: unions, clipping to the live window, stage time."""

from __future__ import annotations

import datetime as dt

from coaching.live.attendance import intersection, seconds, totals, union

START = dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=60)


def at(minutes: float) -> dt.datetime:
    """A moment `minutes` after the session started (negative: before)."""
    return START + dt.timedelta(minutes=minutes)


def test_it_counts_a_single_stay_inside_the_session():
    result = totals(present=[(at(5), at(35))], stage=[], started_at=START, ended_at=END)
    assert result.joined_at == at(5)
    assert result.left_at == at(35)
    assert result.seconds_present == 30 * 60
    assert result.seconds_on_stage == 0
    assert result.present


def test_two_tabs_open_at_once_are_not_counted_twice():
    # Tab A 0–20, tab B 10–30 (overlap 10–20), tab C 25–40: one stretch from 0 to 40.
    spans = [(at(0), at(20)), (at(10), at(30)), (at(25), at(40))]
    result = totals(present=spans, stage=[], started_at=START, ended_at=END)
    assert result.seconds_present == 40 * 60
    assert (result.joined_at, result.left_at) == (at(0), at(40))


def test_partial_presence_adds_up_the_gaps_left_out():
    # 0–10, then dropped out, back 15–20, then 50–55: 10 + 5 + 5 minutes.
    spans = [(at(50), at(55)), (at(0), at(10)), (at(15), at(20))]
    result = totals(present=spans, stage=[], started_at=START, ended_at=END)
    assert result.seconds_present == 20 * 60
    assert (result.joined_at, result.left_at) == (at(0), at(55))


def test_waiting_in_the_lobby_and_staying_after_the_end_are_clipped():
    # In the lobby 10 minutes early, stayed 5 minutes after the end: counts as the whole hour.
    result = totals(present=[(at(-10), at(65))], stage=[], started_at=START, ended_at=END)
    assert result.seconds_present == 60 * 60
    assert (result.joined_at, result.left_at) == (START, END)


def test_an_open_span_lasts_until_the_end():
    result = totals(present=[(at(30), None)], stage=[(at(45), None)], started_at=START, ended_at=END)
    assert result.seconds_present == 30 * 60
    assert result.seconds_on_stage == 15 * 60
    assert result.left_at == END


def test_someone_who_left_before_the_start_was_not_present():
    result = totals(present=[(at(-20), at(-5))], stage=[], started_at=START, ended_at=END)
    assert result.seconds_present == 0
    assert result.joined_at is None
    assert result.left_at is None
    assert not result.present


def test_stage_time_counts_only_while_in_the_room():
    # On stage 10–40, but the connection dropped 20–25 (the seat stays for the reconnect): 25 minutes.
    result = totals(
        present=[(at(0), at(20)), (at(25), at(60))],
        stage=[(at(10), at(40))],
        started_at=START,
        ended_at=END,
    )
    assert result.seconds_present == 55 * 60
    assert result.seconds_on_stage == 25 * 60


def test_coming_on_stage_twice_adds_both_turns():
    # Invited 5–12, left, invited again 30–31.5: 7 + 1.5 minutes = 510 s.
    result = totals(
        present=[(at(0), at(60))], stage=[(at(5), at(12)), (at(30), at(31.5))], started_at=START, ended_at=END
    )
    assert result.seconds_on_stage == 510


def test_seconds_are_whole_and_rounded_down():
    result = totals(
        present=[(at(0), at(0) + dt.timedelta(seconds=2, milliseconds=999))],
        stage=[],
        started_at=START,
        ended_at=END,
    )
    assert result.seconds_present == 2


def test_union_merges_touching_spans_and_drops_empty_ones():
    merged = union([(at(10), at(20)), (at(20), at(30)), (at(40), at(40))], start=START, end=END)
    assert merged == [(at(10), at(30))]


def test_intersection_of_two_lists():
    first = [(at(0), at(10)), (at(20), at(30))]
    second = [(at(5), at(25))]
    assert intersection(first, second) == [(at(5), at(10)), (at(20), at(25))]
    assert seconds(intersection(first, second)) == 10 * 60
