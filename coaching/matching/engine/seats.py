"""Places of the assignment: the free seats of open circles, then each coach's seats for new circles.

"Existing circles first" is decided where members meet coaches, not per coach afterwards: a coach
with an open circle offers two kinds of place to the min-cost flow (assign.py),

- the circle's free seats (a place of capacity `free seats`), taken at the pair's plain cost by a
  member who could join the circle on their own without it breaking a hard rule (rules.py: a
  language everyone there speaks, coach included, and the shared window); and
- the coach's other seats (their capacity minus the seats their circles offer), at the pair's cost
  plus `NEW_SEAT`, the surcharge of opening a new circle.

A member who does not fit a circle may still use its seats, at the surcharge: the coach's capacity
is the same sum, so no assignment is lost. `NEW_SEAT` is larger than any score difference a change
of the flow can make (a cycle of the flow passes each place at most once, moving at most one
member in and one out, so it changes the total score by at most `places x POINTS`): the flow's
optimum is lexicographic, most members assigned, then most into open circles' free seats, then
the highest total score. Fit is judged member by member; whether several newcomers fit a circle
together is the formation's question (formation.py), which may send some of them to a new circle.

Members with the same score profile may differ in availability, so profiles are split by which
circles a member fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .problem import ExistingCircle, Member, Problem
from .rules import circle_window, common_languages
from .score import POINTS, PairTable


@dataclass(frozen=True, slots=True)
class Places:
    """The assignment's columns: each place's coach and capacity, a profile x place table and surcharge."""

    coach: NDArray[np.int64]  # the coach index of each place
    capacity: NDArray[np.int64]
    table: PairTable
    profile_of: NDArray[np.int64]
    surcharge: NDArray[np.int64] | None


def places(*, problem: Problem, table: PairTable, profile_of: NDArray[np.int64]) -> Places:
    """One place per coach when no open circle has a free seat; else circles' seats and new seats."""
    capacity = np.array([coach.capacity for coach in problem.coaches], dtype=np.int64).reshape(-1)
    coach_index = {coach.id: number for number, coach in enumerate(problem.coaches)}
    circles: list[tuple[ExistingCircle, int, int]] = []  # (circle, coach index, seats offered)
    left = capacity.copy()
    for circle in problem.circles:
        coach = coach_index.get(circle.coach)
        free = min(circle.capacity, problem.rules.circle_max) - len(circle.seated)
        if coach is None or free <= 0 or left[coach] <= 0:
            continue
        # A coach with fewer free seats than their circles have offers the circles' seats in order.
        seats = min(free, int(left[coach]))
        left[coach] -= seats
        circles.append((circle, coach, seats))
    if not circles:
        return Places(
            coach=np.arange(len(capacity), dtype=np.int64),
            capacity=capacity,
            table=table,
            profile_of=profile_of,
            surcharge=None,
        )
    fits = _fits(problem, [circle for circle, _, _ in circles])
    # Profiles split by the circles their members fit: interchangeable members stay interchangeable.
    keys: dict[tuple[int, bytes], int] = {}
    split = np.array(
        [
            keys.setdefault((profile, row.tobytes()), len(keys))
            for profile, row in zip(profile_of.tolist(), fits, strict=True)
        ],
        dtype=np.int64,
    ).reshape(-1)
    base = np.array([profile for profile, _ in keys], dtype=np.int64)
    first = np.unique(split, return_index=True)[1]
    fit_rows = fits[first]
    place_coach = np.concatenate([np.arange(len(capacity)), [coach for _, coach, _ in circles]]).astype(
        np.int64
    )
    place_capacity = np.concatenate([left, [seats for _, _, seats in circles]]).astype(np.int64)
    new_seat = len(place_coach) * POINTS + 1
    surcharge = np.full((len(base), len(place_coach)), new_seat, dtype=np.int64)
    surcharge[:, len(capacity) :][fit_rows] = 0
    return Places(
        coach=place_coach,
        capacity=place_capacity,
        table=PairTable(
            allowed=table.allowed[base][:, place_coach], points=table.points[base][:, place_coach]
        ),
        profile_of=split,
        surcharge=surcharge,
    )


def _fits(problem: Problem, circles: list[ExistingCircle]) -> NDArray[np.bool_]:
    """Members x circles: could the member join the circle alone and it still meet the hard rules."""
    coaches = {coach.id: coach for coach in problem.coaches}
    spoken = [common_languages(coaches[circle.coach], circle.seated) for circle in circles]
    fits = np.zeros((len(problem.members), len(circles)), dtype=bool)
    seen: dict[tuple[object, ...], NDArray[np.bool_]] = {}
    for number, member in enumerate(problem.members):
        key = (member.timezone, frozenset(member.languages), member.availability)
        if key not in seen:
            seen[key] = np.array(
                [
                    bool(spoken[c] & set(member.languages)) and _window_fits(problem, circle, member)
                    for c, circle in enumerate(circles)
                ],
                dtype=bool,
            )
        fits[number] = seen[key]
    return fits


def _window_fits(problem: Problem, circle: ExistingCircle, member: Member) -> bool:
    coach = next(coach for coach in problem.coaches if coach.id == circle.coach)
    window = circle_window(
        coach=coach, members=[*circle.seated, member], rules=problem.rules, on=problem.reference_date
    )
    return window is not None and window.minutes >= problem.rules.min_overlap_minutes
