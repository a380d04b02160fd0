"""The engine's answer is optimal (against brute force and the unpruned flow) and never breaks a rule."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import programme
from coaching.matching.engine import Problem, greedy, parse_problem, score_table, solve

from .builders import problem
from .clocks import shared_minutes

ZONES = [
    "Europe/Madrid",
    "Europe/London",
    "America/Los_Angeles",
    "America/Santiago",
    "America/Bogota",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
]
LANGUAGES = ["es", "en", "pt"]
FOCUS = ["career", "confidence", "leadership"]


def random_problem(
    seed: int, *, members: int, coaches: int, capacity: tuple[int, int] = (0, 3)
) -> dict[str, Any]:
    rng = random.Random(seed)
    coach_ids = [f"c{n}" for n in range(1, coaches + 1)]

    def person() -> dict[str, Any]:
        return {
            "timezone": rng.choice(ZONES),
            "languages": rng.sample(LANGUAGES, rng.randint(1, 2)),
            "focus": rng.sample(FOCUS, rng.randint(0, 2)),
        }

    return problem(
        coaches=[{**person(), "id": id_, "capacity": rng.randint(*capacity)} for id_ in coach_ids],
        members=[
            {
                **person(),
                "id": f"m{n}",
                "prefer": rng.sample(coach_ids, min(len(coach_ids), rng.randint(0, 1))),
                "avoid": rng.sample(coach_ids, 1) if coach_ids and rng.random() < 0.3 else [],
            }
            for n in range(1, members + 1)
        ],
        reference_date=rng.choice(["2026-01-15", "2026-07-15"]),
        min_overlap_hours=rng.choice([2, 4, 6]),
        waking_hours=rng.choice([[8, 22], [9, 17]]),
    )


def best_by_brute_force(parsed: Problem) -> tuple[int, int]:
    """The most members assigned, then the highest total score in thousandths, over every assignment."""
    table = score_table(parsed)
    capacity = {coach.id: coach.capacity for coach in parsed.coaches}
    members = [member.id for member in parsed.members]
    best = (0, 0)
    for choice in itertools.product(*([None, *table[member]] for member in members)):
        load = Counter(coach for coach in choice if coach is not None)
        if any(load[coach] > capacity[coach] for coach in load):
            continue
        points = sum(round(table[m][c] * 1000) for m, c in zip(members, choice, strict=True) if c is not None)
        best = max(best, (len(members) - choice.count(None), points))
    return best


def count_and_points(answer: dict[str, Any]) -> tuple[int, int]:
    return len(answer["assignments"]), sum(round(a["score"] * 1000) for a in answer["assignments"])


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("candidates", [1, 12])
def test_it_matches_brute_force_on_small_random_programmes(seed, candidates):
    parsed = parse_problem(random_problem(seed, members=4 + seed % 4, coaches=1 + seed % 3))
    answer = solve(parsed, candidates=candidates, rehome=False).as_json()
    assert count_and_points(answer) == best_by_brute_force(parsed)


@pytest.mark.parametrize("seed", range(3))
def test_it_finds_the_optimum_when_pairs_first_left_out_matter(seed):
    # One candidate coach per profile to start with forces several rounds of pricing on a larger programme.
    parsed = parse_problem(random_problem(100 + seed, members=80, coaches=8, capacity=(4, 10)))
    exact = solve(parsed, candidates=10_000, rehome=False)  # every allowed pair: no pruning at all
    pruned = solve(parsed, candidates=1, rehome=False)
    assert pruned.stats.rounds > 1
    assert (len(pruned.assignments), pruned.objective) == (len(exact.assignments), exact.objective)


@st.composite
def programmes(draw: st.DrawFn) -> dict[str, Any]:
    coach_ids = [f"c{n}" for n in range(1, draw(st.integers(0, 4)) + 1)]
    zones = st.sampled_from(ZONES)
    languages = st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=2, unique=True)
    focus = st.lists(st.sampled_from(FOCUS), max_size=2, unique=True)
    named = st.lists(st.sampled_from(coach_ids), max_size=1) if coach_ids else st.just([])

    def person(id_: str) -> dict[str, Any]:
        return {"id": id_, "timezone": draw(zones), "languages": draw(languages), "focus": draw(focus)}

    return problem(
        coaches=[{**person(id_), "capacity": draw(st.integers(0, 3))} for id_ in coach_ids],
        members=[
            {**person(f"m{n}"), "prefer": draw(named), "avoid": draw(named)}
            for n in range(1, draw(st.integers(0, 12)) + 1)
        ],
        reference_date=draw(st.sampled_from(["2026-01-15", "2026-07-15"])),
        min_overlap_hours=draw(st.sampled_from([2, 4, 6])),
        waking_hours=draw(st.sampled_from([[8, 22], [9, 17]])),
        circle_size={"min": 2, "max": draw(st.integers(2, 4))},
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=programmes(), candidates=st.sampled_from([1, 12]))
def test_it_never_breaks_a_rule_and_always_beats_or_ties_greedy(data, candidates):
    parsed = parse_problem(data)
    answer = solve(parsed, candidates=candidates).as_json()
    optimum = solve(parsed, candidates=candidates, rehome=False).as_json()  # the assignment alone
    baseline = greedy(parsed).as_json()
    rules = data["rules"]
    coaches = {coach["id"]: coach for coach in data["coaches"]}
    members = {member["id"]: member for member in data["members"]}
    on = date.fromisoformat(data["reference_date"])
    waking = tuple(rules["waking_hours"])

    assigned = [a["member"] for a in answer["assignments"]]
    assert sorted(assigned + [u["member"] for u in answer["unassigned"]]) == sorted(members)
    load = Counter(a["coach"] for a in answer["assignments"])
    assert all(load[id_] <= coaches[id_]["capacity"] for id_ in load)
    for assignment in answer["assignments"]:
        member, coach = members[assignment["member"]], coaches[assignment["coach"]]
        assert set(member["languages"]) & set(coach["languages"])
        assert coach["id"] not in member["avoid"]
        together = shared_minutes([member["timezone"], coach["timezone"]], on, waking)
        assert together >= rules["min_overlap_hours"] * 60
    assert math.isclose(answer["objective"], sum(a["score"] for a in answer["assignments"]), abs_tol=1e-9)

    # Moving members out of too-small circles never leaves anyone out whom the assignment placed.
    assert len(answer["assignments"]) >= len(optimum["assignments"])
    engine, other = count_and_points(optimum), count_and_points(baseline)
    if len(members) <= 6:
        assert engine == best_by_brute_force(parsed)
    assert engine[0] >= other[0]
    if engine[0] == other[0]:
        assert engine[1] >= other[1]

    in_circles = Counter(m for circle in answer["circles"] for m in circle["members"])
    assert in_circles == Counter(assigned)
    assert all(len(circle["members"]) <= rules["circle_size"]["max"] for circle in answer["circles"])


@pytest.mark.parametrize("members", [400, 1_000])
def test_it_matches_the_unpruned_flow_on_synthetic_programmes(members):
    parsed = parse_problem(programme(members=members, seed=members))
    exact = solve(parsed, candidates=10_000, rehome=False)
    pruned = solve(parsed, rehome=False)
    assert exact.stats.flow_arcs > pruned.stats.flow_arcs
    assert (len(pruned.assignments), pruned.objective) == (len(exact.assignments), exact.objective)
