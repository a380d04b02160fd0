"""Hard rules and soft scores of member-coach pairs, computed in bulk over profile x coach arrays.

A pair is allowed when the two share a language, the coach is not on the member's `avoid` list, and
their waking hours share at least `min_overlap_hours` in one stretch on the reference date (coach
capacity is the solver's business). An allowed pair scores from 0 to 1, the weighted mean of:

- focus (default weight 0.4): the share of the member's focus areas the coach works on (0 with none);
- prefer (0.25): 1 when the member asked for this coach, else 0;
- time (0.2): shared waking time beyond the minimum, as a share of the most there could be
  (0 at exactly `min_overlap_hours`, 1 when their waking hours coincide);
- language (0.15): 1 when the coach speaks the member's first language, 0.5 for another shared one.

Scores are whole thousandths (`POINTS` per 1.0, rounded half up), so the solver optimises exactly
the numbers it reports.

Members with the same profile (UTC offset, languages with the same first one, focus areas, and the
coaches they prefer and avoid) meet every coach alike; they are scored once per profile, and the
solver treats them as one supply of interchangeable people. Large programmes have many such twins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .overlap import hours_text, pair_overlap_minutes, shared_window, utc_offset_minutes, waking_start_utc
from .problem import Coach, Member, Problem

POINTS = 1000
# Pairs scored per block of profiles: bounds the memory of the intermediate float arrays.
_BLOCK_PAIRS = 1 << 21


@dataclass(frozen=True, slots=True)
class PairTable:
    """All (profile, coach) pairs as profiles x coaches matrices: allowed or not, score in thousandths.

    A score is meaningful only where the pair is allowed.
    """

    allowed: NDArray[np.bool_]
    points: NDArray[np.int16]

    def allowed_pairs(self, sizes: NDArray[np.int64]) -> int:
        """How many member-coach pairs are allowed, given each profile's number of members."""
        return int(self.allowed.sum(axis=1) @ sizes)


@dataclass(frozen=True, slots=True)
class RuleChecks:
    """Which hard rules hold between one member and every coach."""

    speaks: NDArray[np.bool_]
    awake: NDArray[np.bool_]
    welcome: NDArray[np.bool_]

    @property
    def allowed(self) -> NDArray[np.bool_]:
        return self.speaks & self.awake & self.welcome


class Scorer:
    """The hard rules and soft scores of one problem: built once, then asked about pairs."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        rules = problem.rules
        weights = rules.weights
        self.length = rules.waking_minutes
        self.min_overlap = rules.min_overlap_minutes
        self.member_start = self._starts(problem.members)
        self.coach_start = self._starts(problem.coaches)
        coach_index = {coach.id: index for index, coach in enumerate(problem.coaches)}
        self.profile_of, self.profiles = _profiles(problem.members, self.member_start, coach_index)
        profiles = [problem.members[first] for first in self.profiles]

        # Overlap depends only on the two UTC start minutes, and there are few distinct ones (one per
        # zone offset): a small table answers every pair with a lookup instead of arithmetic.
        clocks = np.unique(np.concatenate([self.member_start, self.coach_start]))
        self.profile_clock = np.searchsorted(clocks, self.member_start[self.profiles])
        self.coach_clock = np.searchsorted(clocks, self.coach_start)
        overlap = pair_overlap_minutes(clocks[:, None], clocks[None, :], length=self.length)
        spare = self.length - self.min_overlap
        time_fit = (
            np.clip((overlap - self.min_overlap) / spare, 0, 1) if spare > 0 else np.ones(overlap.shape)
        )
        # The weighted time part of the score per pair of clocks; -1 marks too short a shared stretch.
        self.time_part = np.where(overlap >= self.min_overlap, time_fit * weights.time / weights.total, -1)

        languages = _vocabulary(person.languages for person in (*profiles, *problem.coaches))
        focus = _vocabulary(person.focus for person in (*profiles, *problem.coaches))
        self.profile_languages = _incidence([p.languages for p in profiles], languages)
        self.coach_languages = _incidence([c.languages for c in problem.coaches], languages)
        # Focus share and first-language fit are each "profile row . coach row", so one matrix product
        # gives their weighted sum for every pair once the profile side carries the weights.
        profile_focus = _incidence([p.focus for p in profiles], focus)
        wanted = np.maximum(profile_focus.sum(axis=1, keepdims=True), 1)
        first_language = _incidence([p.languages[:1] for p in profiles], languages)
        self.profile_features = np.hstack(
            [
                profile_focus * (weights.focus / weights.total) / wanted,
                first_language * (0.5 * weights.language / weights.total),
            ]
        ).astype(np.float64)
        self.coach_features = np.hstack(
            [_incidence([c.focus for c in problem.coaches], focus), self.coach_languages]
        ).astype(np.float64)
        self.base_score = 0.5 * weights.language / weights.total  # any shared language earns half
        self.prefer_part = weights.prefer / weights.total
        self.prefer = _named(profiles, coach_index, prefer=True)
        self.avoid = _named(profiles, coach_index, prefer=False)

    def _starts(self, people: Sequence[Member] | Sequence[Coach]) -> NDArray[np.int64]:
        on = self.problem.reference_date
        local_start = self.problem.rules.waking_start_minute
        zones = {person.timezone for person in people}
        offsets = {zone: utc_offset_minutes(timezone=zone, on=on) for zone in zones}
        starts = [
            waking_start_utc(offset_minutes=offsets[p.timezone], local_start_minute=local_start)
            for p in people
        ]
        return np.array(starts, dtype=np.int64).reshape(-1)

    def pair_table(self) -> PairTable:
        """Every pair's hard rules and score, computed in blocks of profiles against every coach."""
        shape = (len(self.profiles), len(self.problem.coaches))
        allowed = np.zeros(shape, dtype=bool)
        points = np.zeros(shape, dtype=np.int16)
        step = max(1, _BLOCK_PAIRS // max(1, shape[1]))
        for first in range(0, shape[0], step):
            rows = slice(first, min(first + step, shape[0]))
            time_part = self.time_part[self.profile_clock[rows]][:, self.coach_clock]
            block = (_matmul(self.profile_languages[rows], self.coach_languages) > 0) & (time_part >= 0)
            block[_within(self.avoid, rows)] = False
            score = self.profile_features[rows] @ self.coach_features.T
            score += time_part
            score[_within(self.prefer, rows)] += self.prefer_part
            allowed[rows] = block
            points[rows] = self._thousandths(score)
        return PairTable(allowed=allowed, points=points)

    def _thousandths(self, score: NDArray[np.float64]) -> NDArray[np.int16]:
        """Scores (less the shared-language half point) as whole thousandths, rounded half up, in place."""
        score += self.base_score
        score *= POINTS
        score += 0.5 + 1e-6  # the nudge keeps float error from flipping a half either way
        return np.floor(score, out=score).astype(np.int16)

    def rule_checks(self, member_index: int) -> RuleChecks:
        """The hard rules between one member and every coach."""
        profile = int(self.profile_of[member_index])
        welcome = np.ones(len(self.problem.coaches), dtype=bool)
        welcome[self.avoid[1][self.avoid[0] == profile]] = False
        speaks = _matmul(self.profile_languages[profile : profile + 1], self.coach_languages)[0] > 0
        awake = self.time_part[self.profile_clock[profile], self.coach_clock] >= 0
        return RuleChecks(speaks=speaks, awake=awake, welcome=welcome)

    def overlap_minutes(self, member_index: int, coach_index: int) -> int:
        starts = [int(self.member_start[member_index]), int(self.coach_start[coach_index])]
        window = shared_window(starts, length=self.length)
        return window.minutes if window else 0

    def reasons(self, member_index: int, coach_index: int) -> list[str]:
        """Why an allowed pair fits, in plain words for the admin who reviews the proposal."""
        member = self.problem.members[member_index]
        coach = self.problem.coaches[coach_index]
        language = next(language for language in member.languages if language in coach.languages)
        reasons = [f"speaks {language}"]
        shared_focus = [area for area in member.focus if area in coach.focus]
        if shared_focus:
            reasons.append(f"shares focus: {', '.join(shared_focus)}")
        reasons.append(f"{hours_text(self.overlap_minutes(member_index, coach_index))} h shared waking time")
        if coach.id in member.prefer:
            reasons.append("asked for this coach")
        return reasons


def score_table(problem: Problem) -> dict[str, dict[str, float]]:
    """The score of every allowed pair, by member id then coach id; a missing pair breaks a hard rule."""
    scorer = Scorer(problem)
    table = scorer.pair_table()
    coach_ids = [coach.id for coach in problem.coaches]
    by_profile = [
        {coach_ids[coach]: int(table.points[profile, coach]) / POINTS for coach in np.flatnonzero(row)}
        for profile, row in enumerate(table.allowed)
    ]
    return {
        member.id: dict(by_profile[profile])
        for member, profile in zip(problem.members, scorer.profile_of.tolist(), strict=True)
    }


def _profiles(
    members: Sequence[Member], starts: NDArray[np.int64], coach_index: dict[str, int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each member's profile number, and the first member of each profile (numbered in input order)."""
    numbers: dict[tuple[object, ...], int] = {}
    profile_of = []
    for member, start in zip(members, starts.tolist(), strict=True):
        key = (
            start,
            member.languages[0],
            frozenset(member.languages),
            frozenset(member.focus),
            frozenset(id_ for id_ in member.prefer if id_ in coach_index),
            frozenset(id_ for id_ in member.avoid if id_ in coach_index),
        )
        profile_of.append(numbers.setdefault(key, len(numbers)))
    profile_array = np.array(profile_of, dtype=np.int64).reshape(-1)
    first_members = np.unique(profile_array, return_index=True)[1]
    return profile_array, first_members.astype(np.int64)


def _vocabulary(groups: Iterable[tuple[str, ...]]) -> dict[str, int]:
    """Column numbers for every distinct word, in order of first appearance (stable for the same input)."""
    vocabulary: dict[str, int] = {}
    for words in groups:
        for word in words:
            vocabulary.setdefault(word, len(vocabulary))
    return vocabulary


def _incidence(groups: Sequence[tuple[str, ...]], vocabulary: dict[str, int]) -> NDArray[np.float32]:
    """A people x words 0/1 matrix, so shared words of every pair are one matrix product."""
    matrix = np.zeros((len(groups), max(1, len(vocabulary))), dtype=np.float32)
    for row, words in enumerate(groups):
        matrix[row, [vocabulary[word] for word in words]] = 1
    return matrix


def _matmul(left: NDArray[np.float32], right: NDArray[np.float32]) -> NDArray[np.float32]:
    # Counts of shared words are small whole numbers, exact in float32; float keeps the product in BLAS.
    return left @ right.T


def _named(
    profiles: Sequence[Member], coach_index: dict[str, int], *, prefer: bool
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(profile, coach) indexes of the coaches each profile prefers (or avoids); unknown ids are ignored."""
    found = [
        (row, coach_index[id_])
        for row, member in enumerate(profiles)
        for id_ in sorted(member.prefer if prefer else member.avoid)
        if id_ in coach_index
    ]
    array = np.array(found, dtype=np.int64).reshape(-1, 2)
    return array[:, 0], array[:, 1]


def _within(
    pairs: tuple[NDArray[np.int64], NDArray[np.int64]], rows: slice
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The (row within the block, coach) positions of the pairs whose profile is in the block `rows`."""
    inside = (pairs[0] >= rows.start) & (pairs[0] < rows.stop)
    return pairs[0][inside] - rows.start, pairs[1][inside]
