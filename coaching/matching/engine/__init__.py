"""The matching engine: pure Python (no Django), deterministic, optimal; see docs/matching.md."""

from __future__ import annotations

from .problem import (
    Availability,
    Coach,
    ExistingCircle,
    Member,
    Problem,
    ProblemError,
    Rules,
    Weights,
    parse_problem,
)
from .rules import HARD, Issue, breaks_hard_rule, circle_issues, circle_language, circle_window
from .score import score_table
from .solve import Solution, greedy, solve

__all__ = [
    "HARD",
    "Availability",
    "Coach",
    "ExistingCircle",
    "Issue",
    "Member",
    "Problem",
    "ProblemError",
    "Rules",
    "Solution",
    "Weights",
    "breaks_hard_rule",
    "circle_issues",
    "circle_language",
    "circle_window",
    "greedy",
    "parse_problem",
    "score_table",
    "solve",
]
