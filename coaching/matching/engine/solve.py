"""`solve`: the optimal proposal (assignments, reasons, circles) for a problem; `greedy`: the baseline.

Everything in a Solution is a function of the problem alone, except `stats.elapsed_s`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .assign import CANDIDATES, Assignment, greedy_assignment, optimal_assignment
from .circles import Circle, form_circles
from .overlap import hours_text
from .problem import Problem
from .score import POINTS, PairTable, Scorer


@dataclass(frozen=True, slots=True)
class Placement:
    member: str
    coach: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unplaced:
    member: str
    reason: str


@dataclass(frozen=True, slots=True)
class Stats:
    """Size and cost of a run; `rounds` and `flow_arcs` tell how the flow was found (not in the JSON)."""

    members: int
    coaches: int
    allowed_pairs: int
    elapsed_s: float
    rounds: int
    flow_arcs: int


@dataclass(frozen=True, slots=True)
class Solution:
    assignments: tuple[Placement, ...]
    unassigned: tuple[Unplaced, ...]
    circles: tuple[Circle, ...]
    objective: float
    stats: Stats

    def as_json(self) -> dict[str, object]:
        """The solution in the JSON shape of the matching contract."""
        return {
            "assignments": [
                {"member": a.member, "coach": a.coach, "score": a.score, "reasons": list(a.reasons)}
                for a in self.assignments
            ],
            "unassigned": [{"member": u.member, "reason": u.reason} for u in self.unassigned],
            "circles": [
                {
                    "coach": circle.coach,
                    "members": list(circle.members),
                    "window_utc": circle.window.utc() if circle.window else None,
                    "overlap_hours": _hours(circle.window.minutes if circle.window else 0),
                    "undersized": circle.undersized,
                }
                for circle in self.circles
            ],
            "objective": self.objective,
            "stats": {
                "members": self.stats.members,
                "coaches": self.stats.coaches,
                "allowed_pairs": self.stats.allowed_pairs,
                "elapsed_s": self.stats.elapsed_s,
            },
        }


def solve(problem: Problem, *, candidates: int = CANDIDATES) -> Solution:
    """The optimal proposal: most members assigned, then highest total score, then circles per coach."""
    started = time.perf_counter()
    scorer = Scorer(problem)
    table = scorer.pair_table()
    assignment = optimal_assignment(
        table=table, profile_of=scorer.profile_of, capacity=_capacities(problem), candidates=candidates
    )
    return _solution(scorer, table, assignment, started=started)


def greedy(problem: Problem) -> Solution:
    """The baseline proposal: each member in input order takes their best allowed coach with room."""
    started = time.perf_counter()
    scorer = Scorer(problem)
    table = scorer.pair_table()
    assignment = greedy_assignment(table=table, profile_of=scorer.profile_of, capacity=_capacities(problem))
    return _solution(scorer, table, assignment, started=started)


def _capacities(problem: Problem) -> NDArray[np.int64]:
    return np.array([coach.capacity for coach in problem.coaches], dtype=np.int64).reshape(-1)


def _solution(scorer: Scorer, table: PairTable, assignment: Assignment, *, started: float) -> Solution:
    problem = scorer.problem
    coaches = len(problem.coaches)
    coach_of = assignment.coach_of
    assigned = np.flatnonzero(coach_of >= 0)
    points = table.points[scorer.profile_of[assigned], coach_of[assigned]]
    placements = tuple(
        Placement(
            member=problem.members[member].id,
            coach=problem.coaches[coach].id,
            score=score / POINTS,
            reasons=tuple(scorer.reasons(member, coach)),
        )
        for member, coach, score in zip(
            assigned.tolist(), coach_of[assigned].tolist(), points.tolist(), strict=True
        )
    )
    unplaced = tuple(
        Unplaced(member=problem.members[member].id, reason=_why_unassigned(scorer, member))
        for member in np.flatnonzero(coach_of < 0).tolist()
    )
    return Solution(
        assignments=placements,
        unassigned=unplaced,
        circles=tuple(_circles(scorer, coach_of)),
        objective=round(int(points.sum()) / POINTS, 3),
        stats=Stats(
            members=len(problem.members),
            coaches=coaches,
            allowed_pairs=table.allowed_pairs(np.bincount(scorer.profile_of, minlength=len(table.allowed))),
            elapsed_s=round(time.perf_counter() - started, 3),
            rounds=assignment.rounds,
            flow_arcs=assignment.arcs,
        ),
    )


def _why_unassigned(scorer: Scorer, member_index: int) -> str:
    """The first hard rule that rules out every coach, in plain words; else the coaches are full."""
    member = scorer.problem.members[member_index]
    checks = scorer.rule_checks(member_index)
    if not checks.speaks.any():
        return f"no coach shares a language ({', '.join(member.languages)})"
    if not (checks.speaks & checks.awake).any():
        languages, hours = " or ".join(member.languages), hours_text(scorer.min_overlap)
        return f"no coach who speaks {languages} shares {hours} h of waking time with {member.timezone}"
    if not checks.allowed.any():
        return "only coaches on the member's avoid list fit"
    # Both solvers place a member whenever a fitting coach has a free seat.
    return "every coach who fits is full"


def _circles(scorer: Scorer, coach_of: NDArray[np.int64]) -> list[Circle]:
    problem = scorer.problem
    groups: dict[int, list[tuple[str, int]]] = {}
    for member, coach in enumerate(coach_of.tolist()):
        if coach >= 0:
            groups.setdefault(coach, []).append(
                (problem.members[member].id, int(scorer.member_start[member]))
            )
    return [
        circle
        for coach in sorted(groups)
        for circle in form_circles(
            coach=problem.coaches[coach].id,
            coach_start=int(scorer.coach_start[coach]),
            members=groups[coach],
            length=scorer.length,
            size_min=problem.rules.circle_min,
            size_max=problem.rules.circle_max,
        )
    ]


def _hours(minutes: int) -> int | float:
    """Hours as a JSON number: whole hours without a decimal point."""
    hours = round(minutes / 60, 2)
    return int(hours) if hours.is_integer() else hours
