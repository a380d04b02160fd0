"""`solve`: the optimal proposal (assignments, reasons, circles) for a problem; `greedy`: the baseline.

Everything in a Solution is a function of the problem alone, except `stats.elapsed_s`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .assign import CANDIDATES, Assignment, greedy_assignment, optimal_assignment
from .circles import split_by_hours
from .formation import Circle, FormationStats, form_circles
from .overlap import hours_text, shared_window
from .problem import Member, Problem
from .rules import circle_issues, circle_language
from .score import POINTS, PairTable, Scorer

NO_CIRCLE_FITS = "no_circle_fits"


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
    formation: tuple[FormationStats, ...] = ()


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
                    "existing": circle.existing,
                    "members": list(circle.members),
                    "seated": list(circle.seated),
                    "language": circle.language,
                    "window_utc": circle.window.utc() if circle.window else None,
                    "window_weekday_utc": circle.window.weekday if circle.window else None,
                    "overlap_hours": _hours(circle.window.minutes if circle.window else 0),
                    "undersized": circle.undersized,
                    "issues": [issue.as_json() for issue in circle.issues],
                }
                for circle in self.circles
            ],
            "objective": self.objective,
            "stats": {
                "members": self.stats.members,
                "coaches": self.stats.coaches,
                "allowed_pairs": self.stats.allowed_pairs,
                "elapsed_s": self.stats.elapsed_s,
                "formation": [stats.as_json() for stats in self.stats.formation],
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
    return _solution(scorer, table, assignment, started=started, optimise_circles=True)


def greedy(problem: Problem) -> Solution:
    """The baseline: each member in order takes their best allowed coach with room; circles split by hours.

    Its circles are the old heuristic's (consecutive runs around the clock, no language rule), kept
    so the benchmark can show what the formation model changes.
    """
    started = time.perf_counter()
    scorer = Scorer(problem)
    table = scorer.pair_table()
    assignment = greedy_assignment(table=table, profile_of=scorer.profile_of, capacity=_capacities(problem))
    return _solution(scorer, table, assignment, started=started, optimise_circles=False)


def _capacities(problem: Problem) -> NDArray[np.int64]:
    return np.array([coach.capacity for coach in problem.coaches], dtype=np.int64).reshape(-1)


def _solution(
    scorer: Scorer, table: PairTable, assignment: Assignment, *, started: float, optimise_circles: bool
) -> Solution:
    problem = scorer.problem
    coaches = len(problem.coaches)
    coach_of = assignment.coach_of.copy()
    if optimise_circles:
        circles, formation, unfit = _formed_circles(problem, coach_of)
        coach_of[unfit] = -1
    else:
        circles, formation, unfit = _heuristic_circles(scorer, coach_of), (), np.zeros(0, dtype=np.int64)
    no_fit = set(unfit.tolist())
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
        Unplaced(
            member=problem.members[member].id,
            reason=NO_CIRCLE_FITS if member in no_fit else _why_unassigned(scorer, member),
        )
        for member in np.flatnonzero(coach_of < 0).tolist()
    )
    return Solution(
        assignments=placements,
        unassigned=unplaced,
        circles=tuple(circles),
        objective=round(int(points.sum()) / POINTS, 3),
        stats=Stats(
            members=len(problem.members),
            coaches=coaches,
            allowed_pairs=table.allowed_pairs(np.bincount(scorer.profile_of, minlength=len(table.allowed))),
            elapsed_s=round(time.perf_counter() - started, 3),
            rounds=assignment.rounds,
            flow_arcs=assignment.arcs,
            formation=formation,
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


def _groups(coach_of: NDArray[np.int64]) -> dict[int, list[int]]:
    """Each coach's members (indexes, in input order), coaches in order."""
    groups: dict[int, list[int]] = {}
    for member, coach in enumerate(coach_of.tolist()):
        if coach >= 0:
            groups.setdefault(coach, []).append(member)
    return dict(sorted(groups.items()))


def _formed_circles(
    problem: Problem, coach_of: NDArray[np.int64]
) -> tuple[list[Circle], tuple[FormationStats, ...], NDArray[np.int64]]:
    """Circles formed per coach by the optimisation (formation.py), and the members no circle fits."""
    index = {member.id: number for number, member in enumerate(problem.members)}
    circles: list[Circle] = []
    stats: list[FormationStats] = []
    unfit: list[int] = []
    for coach, members in _groups(coach_of).items():
        formed = form_circles(
            coach=problem.coaches[coach],
            members=[problem.members[member] for member in members],
            existing=[c for c in problem.circles if c.coach == problem.coaches[coach].id],
            rules=problem.rules,
            on=problem.reference_date,
        )
        circles += formed.circles
        stats.append(formed.stats)
        unfit += [index[member] for member in formed.unplaced]
    return circles, tuple(stats), np.array(sorted(unfit), dtype=np.int64)


def _heuristic_circles(scorer: Scorer, coach_of: NDArray[np.int64]) -> list[Circle]:
    """The baseline's circles: split by waking hours only (circles.py), then checked against the rules."""
    problem = scorer.problem
    circles = []
    for coach, members in _groups(coach_of).items():
        record = problem.coaches[coach]
        for group in split_by_hours(
            members=[(member, int(scorer.member_start[member])) for member in members],
            length=scorer.length,
            size_max=problem.rules.circle_max,
        ):
            people: list[Member] = [problem.members[member] for member in group]
            issues = circle_issues(
                coach=record, members=people, rules=problem.rules, on=problem.reference_date
            )
            window = shared_window(
                [int(scorer.coach_start[coach]), *(int(scorer.member_start[m]) for m in group)],
                length=scorer.length,
            )
            circles.append(
                Circle(
                    coach=record.id,
                    members=tuple(person.id for person in people),
                    window=window,
                    language=circle_language(coach=record, members=people),
                    issues=tuple(issues),
                )
            )
    return circles


def _hours(minutes: int) -> int | float:
    """Hours as a JSON number: whole hours without a decimal point."""
    hours = round(minutes / 60, 2)
    return int(hours) if hours.is_integer() else hours
