"""The proposal: who gets which coach and why, who stays unassigned and why, and the circles."""

from __future__ import annotations

import copy

import pytest

from coaching.matching.engine import greedy, parse_problem, solve

from .builders import coach, member, problem


def solved(*, rehome=True, **data):
    return solve(parse_problem(problem(**data)), rehome=rehome).as_json()


def coach_of(solution):
    return {assignment["member"]: assignment["coach"] for assignment in solution["assignments"]}


def reason_of(solution):
    return {unassigned["member"]: unassigned["reason"] for unassigned in solution["unassigned"]}


def test_it_never_gives_a_coach_more_members_than_capacity():
    solution = solved(coaches=[coach("c1", capacity=1)], members=[member("m1"), member("m2")])
    assert coach_of(solution) == {"m1": "c1"}
    assert reason_of(solution) == {"m2": "every coach who fits is full"}


def test_it_gives_no_one_to_a_coach_without_seats():
    solution = solved(coaches=[coach("c1", capacity=0)], members=[member("m1")])
    assert reason_of(solution) == {"m1": "every coach who fits is full"}


def test_it_says_when_no_coach_speaks_the_members_languages():
    solution = solved(coaches=[coach("c1")], members=[member("m9", languages=["sw", "fr"])])
    assert reason_of(solution) == {"m9": "no coach shares a language (sw, fr)"}


def test_it_says_when_no_coach_who_speaks_the_language_is_awake_long_enough():
    solution = solved(
        coaches=[
            coach("c1", "Africa/Nairobi", languages=["en"]),
            coach("c2", "America/Denver", languages=["sw"]),
        ],
        members=[member("m1", "America/Los_Angeles", languages=["en"])],
        min_overlap_hours=4,
    )
    assert reason_of(solution) == {
        "m1": "no coach who speaks en shares 4 h of waking time with America/Los_Angeles"
    }


def test_it_says_when_only_avoided_coaches_fit():
    solution = solved(
        coaches=[coach("c1"), coach("c2", languages=["fr"])], members=[member("m1", avoid=["c1"])]
    )
    assert reason_of(solution) == {"m1": "only coaches on the member's avoid list fit"}


def test_it_assigns_more_members_than_greedy_when_order_would_block_someone():
    # Greedy lets m1 take c1, its best coach, and m2 (English only) is left without one.
    data = problem(
        coaches=[coach("c1", languages=["es", "en"], capacity=1), coach("c2", capacity=1)],
        members=[member("m1", prefer=["c1"]), member("m2", languages=["en"])],
    )
    assert coach_of(solve(parse_problem(data)).as_json()) == {"m1": "c2", "m2": "c1"}
    assert coach_of(greedy(parse_problem(data)).as_json()) == {"m1": "c1"}


def test_it_finds_a_higher_total_score_than_greedy():
    # Both fit either coach; m2 cares about career much more than m1 does about anything.
    data = problem(
        coaches=[coach("c1", focus=["career"], capacity=1), coach("c2", capacity=1)],
        members=[member("m1", focus=["wellbeing"], prefer=["c1"]), member("m2", focus=["career"])],
        weights={"focus": 1, "prefer": 0.5, "time": 0, "language": 0},
    )
    engine, baseline = solve(parse_problem(data)), greedy(parse_problem(data))
    assert coach_of(engine.as_json()) == {"m1": "c2", "m2": "c1"}
    assert engine.objective > baseline.objective


def test_it_reports_scores_reasons_and_an_objective_that_adds_up():
    # Each would be alone with their coach: without rehoming, the assignment's optimum stands.
    solution = solved(
        rehome=False,
        coaches=[coach("c1", focus=["career"]), coach("c2", "America/Bogota", focus=["confidence"])],
        members=[
            member("m1", focus=["career"]),
            member("m2", "America/Lima", focus=["confidence"], prefer=["c2"]),
        ],
    )
    assert solution["assignments"] == [
        {
            "member": "m1",
            "coach": "c1",
            "score": 0.75,
            "reasons": ["speaks es", "shares focus: career", "14 h shared waking time"],
        },
        {
            "member": "m2",
            "coach": "c2",
            "score": 1.0,
            "reasons": [
                "speaks es",
                "shares focus: confidence",
                "14 h shared waking time",
                "asked for this coach",
            ],
        },
    ]
    assert solution["objective"] == 1.75
    assert solution["stats"]["members"] == 2
    assert solution["stats"]["coaches"] == 2
    assert solution["stats"]["allowed_pairs"] == 4


def test_it_spreads_identical_members_over_coaches_in_input_order():
    members = [member(f"m{number}", focus=["career"]) for number in range(1, 6)]
    solution = solved(
        coaches=[coach("c1", focus=["career"], capacity=2), coach("c2", capacity=2)], members=members
    )
    assert coach_of(solution) == {"m1": "c1", "m2": "c1", "m3": "c2", "m4": "c2"}
    assert reason_of(solution) == {"m5": "every coach who fits is full"}


def test_it_gives_the_same_answer_for_the_same_input():
    data = problem(
        coaches=[coach(f"c{n}", capacity=2, focus=["career"] if n % 2 else []) for n in range(1, 4)],
        members=[member(f"m{n}", focus=["career"]) for n in range(1, 9)],
    )
    first, second = solve(parse_problem(copy.deepcopy(data))).as_json(), solve(parse_problem(data)).as_json()
    for answer in (first, second):
        del answer["stats"]["elapsed_s"]
        for formation in answer["stats"]["formation"]:
            del formation["seconds"]
    assert first == second


AMERICAS = ["America/Bogota", "America/Lima", "America/Mexico_City"]
AFRICA = ["Africa/Nairobi", "Africa/Lagos", "Africa/Cairo"]


def test_it_groups_members_who_are_awake_at_the_same_hours():
    members = [
        member(f"m{n}", zone)
        for n, zone in enumerate([AFRICA[0], AMERICAS[0], AFRICA[1], AMERICAS[1], AFRICA[2], AMERICAS[2]])
    ]
    solution = solved(
        coaches=[coach("c1", "Europe/London")], members=members, circle_size={"min": 2, "max": 3}
    )
    circles = [set(circle["members"]) for circle in solution["circles"]]
    assert sorted(circles, key=min) == [{"m0", "m2", "m4"}, {"m1", "m3", "m5"}]


def test_it_reports_each_circles_shared_window_with_the_coach():
    members = [member(f"m{n}", zone) for n, zone in enumerate(AMERICAS)]
    solution = solved(
        coaches=[coach("c1", "Europe/London")], members=members, circle_size={"min": 2, "max": 3}
    )
    # Mexico City wakes at 14:00 UTC; London goes to sleep at 22:00 UTC.
    assert solution["circles"] == [
        {
            "coach": "c1",
            "existing": None,
            "members": ["m0", "m1", "m2"],
            "seated": [],
            "language": "es",
            "window_utc": ["14:00", "22:00"],
            "window_weekday_utc": None,
            "overlap_hours": 8,
            "undersized": False,
            "issues": [],
        }
    ]


@pytest.mark.parametrize(
    ("members", "size", "expected"),
    [
        (10, {"min": 4, "max": 6}, [(5, False), (5, False)]),
        (13, {"min": 4, "max": 6}, [(5, False), (4, False), (4, False)]),
        (3, {"min": 4, "max": 8}, [(3, True)]),
        (7, {"min": 4, "max": 5}, [(3, True), (4, False)]),
        (8, {"min": 4, "max": 8}, [(8, False)]),
    ],
)
def test_it_keeps_circle_sizes_within_the_rules_and_flags_undersized_ones(members, size, expected):
    people = [member(f"m{n}", "Europe/Madrid" if n % 2 else "Africa/Lagos") for n in range(members)]
    solution = solved(coaches=[coach("c1", capacity=20)], members=people, circle_size=size)
    assert [(len(circle["members"]), circle["undersized"]) for circle in solution["circles"]] == expected
    assert sorted(m for circle in solution["circles"] for m in circle["members"]) == sorted(
        p["id"] for p in people
    )
