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
from .formation import Circle, Formation, FormationStats, form_circles
from .overlap import hours_text, shared_window
from .problem import Member, Problem
from .rules import circle_issues, circle_language
from .score import POINTS, PairTable, Scorer
from .seats import places

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


def solve(problem: Problem, *, candidates: int = CANDIDATES, rehome: bool = True) -> Solution:
    """The proposal: most members assigned, then most in open circles' free seats, then highest total score
    (the assignment, proven optimal); then circles per coach (formation), and with `rehome` the members
    of too-small new circles moved to another coach where both coaches' circles get better.

    `rehome=False` keeps the assignment's optimum untouched (the optimality tests check it).
    """
    started = time.perf_counter()
    scorer = Scorer(problem)
    table = scorer.pair_table()
    seats = places(problem=problem, table=table, profile_of=scorer.profile_of)
    flow = optimal_assignment(
        table=seats.table,
        profile_of=seats.profile_of,
        capacity=seats.capacity,
        candidates=candidates,
        surcharge=seats.surcharge,
    )
    coach_of = flow.coach_of.copy()
    placed = coach_of >= 0
    coach_of[placed] = seats.coach[coach_of[placed]]  # each place's coach
    assignment = Assignment(coach_of=coach_of, rounds=flow.rounds, arcs=flow.arcs)
    return _solution(scorer, table, assignment, started=started, optimise_circles=True, rehome=rehome)


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
    scorer: Scorer,
    table: PairTable,
    assignment: Assignment,
    *,
    started: float,
    optimise_circles: bool,
    rehome: bool = False,
) -> Solution:
    problem = scorer.problem
    coaches = len(problem.coaches)
    coach_of = assignment.coach_of.copy()
    if optimise_circles:
        circles, formation, unfit = _formed_circles(scorer, table, coach_of, rehome=rehome)
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
    scorer: Scorer, table: PairTable, coach_of: NDArray[np.int64], *, rehome: bool
) -> tuple[list[Circle], tuple[FormationStats, ...], NDArray[np.int64]]:
    """Circles formed per coach by the optimisation (formation.py), and the members no circle fits.

    `coach_of` is updated in place when the repair (`_rehome_small_circles`) moves members.
    """
    problem = scorer.problem
    index = {member.id: number for number, member in enumerate(problem.members)}
    groups = _groups(coach_of)
    formed = {coach: _form(problem, coach, members) for coach, members in groups.items()}
    if rehome and problem.rules.circle_min > 1:
        _rehome_small_circles(scorer, table, coach_of, groups, formed)
    circles: list[Circle] = []
    stats: list[FormationStats] = []
    unfit: list[int] = []
    for coach in sorted(formed):
        if not groups.get(coach):
            continue
        circles += formed[coach].circles
        stats.append(formed[coach].stats)
        unfit += [index[member] for member in formed[coach].unplaced]
    return circles, tuple(stats), np.array(sorted(unfit), dtype=np.int64)


def _form(problem: Problem, coach: int, members: list[int]) -> Formation:
    return form_circles(
        coach=problem.coaches[coach],
        members=[problem.members[member] for member in members],
        existing=[c for c in problem.circles if c.coach == problem.coaches[coach].id],
        rules=problem.rules,
        on=problem.reference_date,
    )


# Other coaches tried for a small circle's members, best-scoring first: each try forms two coaches' circles.
REHOME_TRIES = 4


def _rehome_small_circles(
    scorer: Scorer,
    table: PairTable,
    coach_of: NDArray[np.int64],
    groups: dict[int, list[int]],
    formed: dict[int, Formation],
) -> None:
    """Move the members of a new circle below `circle_min` to another coach when both coaches gain.

    The assignment counts members, open seats and scores, not circle sizes: two members may land
    alone with two coaches, or one alone while another coach has a circle they would fit. For each
    new circle below `circle_min` (one-member circles first), its members try, together, the coaches
    allowed for all of them with room for them that have an open circle or a small new circle,
    best total score first; both coaches' circles are formed again, and the move is kept when the
    two coaches' formation tiers (members placed, one-member circles, members in open circles,
    small circles, circles) get lexicographically better. Each kept move lowers those tiers' sum over
    all coaches, so the repair ends; it trades score for circles people can meet in.
    """
    problem = scorer.problem
    index = {member.id: number for number, member in enumerate(problem.members)}
    room = _capacities(problem) - np.bincount(coach_of[coach_of >= 0], minlength=len(problem.coaches))
    with_open = {
        number
        for number, coach in enumerate(problem.coaches)
        if any(c.coach == coach.id for c in problem.circles)
    }
    tried: set[tuple[str, ...]] = set()
    while True:
        small = sorted(
            (
                (len(circle.members), coach, circle.members)
                for coach, formation in formed.items()
                for circle in formation.circles
                if circle.existing is None
                and len(circle.members) < problem.rules.circle_min
                and circle.members not in tried
            ),
        )
        if not small:
            return
        _size, source, ids = small[0]
        tried.add(ids)
        movers = [index[member] for member in ids]
        profiles = scorer.profile_of[movers]
        allowed = table.allowed[profiles].all(axis=0) & (room >= len(movers))
        allowed[source] = False
        hosts = [
            coach
            for coach in np.flatnonzero(allowed).tolist()
            if coach in with_open
            or (coach in formed and _has_small_circle(formed[coach], problem.rules.circle_min))
        ]
        points = table.points[profiles].astype(np.int64).sum(axis=0)
        hosts.sort(key=lambda coach: (-int(points[coach]), coach))
        for target in hosts[:REHOME_TRIES]:
            stay = [member for member in groups[source] if member not in movers]
            joined = sorted([*groups.get(target, []), *movers])
            source_after = _form(problem, source, stay)
            target_after = _form(problem, target, joined)
            before = _tiers(formed[source], formed.get(target))
            after = _tiers(source_after, target_after)
            if after > before:
                groups[source], groups[target] = stay, joined
                formed[source], formed[target] = source_after, target_after
                coach_of[movers] = target
                room[source] += len(movers)
                room[target] -= len(movers)
                break


def _has_small_circle(formation: Formation, least: int) -> bool:
    return any(circle.existing is None and len(circle.members) < least for circle in formation.circles)


def _tiers(*formations: Formation | None) -> tuple[int, ...]:
    """The formation tiers that the repair compares, summed over coaches: all but the shared minutes."""
    return tuple(
        sum(formation.objective[tier] for formation in formations if formation is not None)
        for tier in range(5)
    )


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
