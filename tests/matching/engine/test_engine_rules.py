"""The circle rules (rules.py) and the inputs they read: availability windows and existing circles."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.matching.engine import (
    Availability,
    Issue,
    ProblemError,
    circle_issues,
    circle_language,
    circle_window,
    parse_problem,
)
from coaching.matching.engine.freetime import MINUTES_PER_WEEK, free_arcs, shared_stretch
from coaching.matching.engine.overlap import Window

from .builders import coach, member, problem
from .clocks import shared_minutes

ON = date(2026, 1, 15)


def parsed(*, coaches: list[dict[str, Any]], members: list[dict[str, Any]], **rules: Any):
    return parse_problem(problem(coaches=coaches, members=members, **rules))


def issues_of(coach_data: dict[str, Any] | None, members: list[dict[str, Any]], **rules: Any) -> list[Issue]:
    data = parsed(coaches=[coach_data] if coach_data else [], members=members, **rules)
    return circle_issues(
        coach=data.coaches[0] if coach_data else None, members=data.members, rules=data.rules, on=ON
    )


def codes(issues: list[Issue]) -> list[str]:
    return [issue.code for issue in issues]


def test_a_circle_that_meets_every_rule_has_no_issues():
    members = [member(f"m{n}") for n in range(4)]
    assert issues_of(coach("c1"), members) == []


def test_a_spanish_only_member_with_english_only_people_breaks_the_language_rule():
    members = [member("sofia", languages=["es"]), *(member(f"m{n}", languages=["en"]) for n in range(3))]
    found = issues_of(coach("c1", languages=["en", "es"]), members)
    assert found[0] == Issue(code="no_shared_language", people=("sofia",))
    assert found[0].hard


def test_the_coach_counts_for_the_language_rule():
    members = [member(f"m{n}", languages=["es"]) for n in range(4)]
    found = issues_of(coach("c1", languages=["en"]), members)
    assert found[0] == Issue(code="no_shared_language", people=("c1",))


def test_the_window_counts_the_coach():
    # Members in Madrid share all day; a coach in Sydney shares 4 h with them in January.
    members = [member(f"m{n}") for n in range(4)]
    assert issues_of(coach("c1", "Australia/Sydney"), members, min_overlap_hours=4) == []
    found = issues_of(coach("c1", "Australia/Sydney"), members, min_overlap_hours=5)
    assert found == [Issue(code="window_short", minutes=240)]
    assert shared_minutes(["Australia/Sydney", "Europe/Madrid"], ON, (8, 22)) == 240


def test_circle_window_is_the_stretch_everyone_shares_coach_included():
    data = parsed(coaches=[coach("c1", "Europe/London")], members=[member("m1", "America/Mexico_City")])
    # Mexico City wakes at 14:00 UTC; London goes to sleep at 22:00 UTC.
    assert circle_window(coach=data.coaches[0], members=data.members, rules=data.rules, on=ON) == Window(
        start=14 * 60, minutes=8 * 60
    )


def test_availability_windows_narrow_the_shared_window():
    members = [member(f"m{n}") for n in range(4)]
    members[0]["availability"] = [{"weekday": 0, "start": "18:00", "end": "19:00"}]
    found = issues_of(coach("c1"), members)
    assert found == [
        Issue(code="window_short", minutes=60),
        Issue(code="far_from_everyone", people=("m0",)),
    ]
    members[0]["availability"].append({"weekday": 0, "start": "19:00", "end": "21:30"})
    assert issues_of(coach("c1"), members) == []


def week_window(coach_data: dict[str, Any], member_data: dict[str, Any]) -> Window | None:
    data = parsed(coaches=[coach_data], members=[member_data])
    people = (*data.coaches, *data.members)
    arcs = [free_arcs(person, rules=data.rules, on=ON, period=MINUTES_PER_WEEK) for person in people]
    return shared_stretch(arcs, period=MINUTES_PER_WEEK)


def test_availability_is_local_time_and_the_weekday_may_differ_in_utc():
    # Tuesday 08:00-10:00 in Tokyo is Monday 23:00 to Tuesday 01:00 UTC, which is Monday 15:00-17:00
    # in Los Angeles: a coach there free Monday 14:00-16:00 shares one hour, Monday 23:00 UTC.
    tokyo = member("m1", "Asia/Tokyo", availability=[{"weekday": 1, "start": "08:00", "end": "10:00"}])
    monday = [{"weekday": 0, "start": "14:00", "end": "16:00"}]
    assert week_window(coach("c1", "America/Los_Angeles", availability=monday), tokyo) == Window(
        start=23 * 60, minutes=60, weekday=0
    )
    tuesday = [{"weekday": 1, "start": "14:00", "end": "16:00"}]
    assert week_window(coach("c1", "America/Los_Angeles", availability=tuesday), tokyo) is None


def test_sizes_are_checked_against_the_programme():
    assert codes(issues_of(coach("c1"), [member("m1")])) == ["too_small"]
    many = [member(f"m{n}") for n in range(9)]
    assert codes(issues_of(coach("c1"), many)) == ["too_large"]


def test_a_member_who_shares_no_hours_with_anyone_else_is_far_from_everyone():
    members = [member("m1"), member("m2"), member("m3"), member("far", "Australia/Sydney")]
    found = issues_of(coach("c1"), members, min_overlap_hours=5)
    assert codes(found) == ["window_short", "far_from_everyone"]
    assert found[-1].people == ("far",)


def test_circle_language_is_the_one_members_rank_highest():
    data = parsed(
        coaches=[coach("c1", languages=["en", "es", "pt"])],
        members=[
            member("m1", languages=["es", "en"]),
            member("m2", languages=["es", "pt", "en"]),
            member("m3", languages=["en", "es"]),
        ],
    )
    assert circle_language(coach=data.coaches[0], members=data.members) == "es"
    assert circle_language(coach=data.coaches[0], members=data.members[2:]) == "en"
    english_only = parsed(coaches=[coach("c2", languages=["en"])], members=[member("m1")])
    assert circle_language(coach=english_only.coaches[0], members=english_only.members) is None


ZONES = ["Europe/Madrid", "America/Bogota", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "UTC"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(ZONES), min_size=1, max_size=5), st.sampled_from([(8, 22), (9, 17), (6, 23.5)])
)
def test_without_availability_the_window_is_the_minute_by_minute_one(zones, waking):
    people = [member(f"m{n}", zone) for n, zone in enumerate(zones)]
    data = parsed(coaches=[], members=people, waking_hours=list(waking), circle_size={"min": 1, "max": 8})
    found = circle_issues(coach=None, members=data.members, rules=data.rules, on=ON)
    expected = shared_minutes(zones, ON, waking)
    window = [issue for issue in found if issue.code == "window_short"]
    if expected >= 120:
        assert not window
    else:
        assert window == [Issue(code="window_short", minutes=expected)]


def test_it_reads_availability_windows():
    data = parsed(
        coaches=[coach("c1", availability=[{"weekday": 2, "start": "18:00", "end": "24:00"}])],
        members=[member("m1")],
    )
    assert data.coaches[0].availability == (Availability(weekday=2, start_minute=1080, end_minute=1440),)
    assert data.members[0].availability == ()


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (
            {"weekday": 7, "start": "18:00", "end": "19:00"},
            '"weekday" must be 0 (Monday) to 6 (Sunday), got 7',
        ),
        ({"weekday": 1, "start": "19:00", "end": "18:00"}, '"end" must be after "start", got 19:00-18:00'),
        (
            {"weekday": 1, "start": "7pm", "end": "21:00"},
            '"start" must be a time like "18:30" (00:00 to 24:00), got "7pm"',
        ),
        ({"weekday": 1, "start": "18:00", "end": "21:00", "tz": "UTC"}, 'unknown field "tz"'),
    ],
)
def test_it_refuses_a_bad_availability_window(window, message):
    with pytest.raises(ProblemError) as caught:
        parsed(coaches=[], members=[member("m1", availability=[window])])
    assert str(caught.value) == f"member m1 availability #1: {message}"


def test_it_reads_existing_circles_and_skips_those_of_coaches_not_in_the_problem():
    data = problem(coaches=[coach("c1")], members=[member("m1")])
    data["circles"] = [
        {"id": "circle:12", "coach": "c1", "name": "Harambee", "seated": [member("s1")], "capacity": 8},
        {"id": "circle:13", "coach": "gone", "name": "Full", "seated": [], "capacity": 8},
    ]
    circles = parse_problem(data).circles
    assert [circle.id for circle in circles] == ["circle:12"]
    assert circles[0].seated[0].id == "s1"
    assert circles[0].free_seats == 7


def test_it_refuses_a_member_both_waiting_and_seated():
    data = problem(coaches=[coach("c1")], members=[member("m1")])
    data["circles"] = [{"id": "circle:12", "coach": "c1", "seated": [member("m1")], "capacity": 8}]
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    assert str(caught.value) == "member m1: duplicate id (member #1 and member #2)"
