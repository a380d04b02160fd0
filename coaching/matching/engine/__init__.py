"""The matching engine: pure Python (no Django), deterministic, optimal; see docs/matching.md."""

from __future__ import annotations

from .problem import Coach, Member, Problem, ProblemError, Rules, Weights, parse_problem
from .score import score_table
from .solve import Solution, greedy, solve

__all__ = [
    "Coach",
    "Member",
    "Problem",
    "ProblemError",
    "Rules",
    "Solution",
    "Weights",
    "greedy",
    "parse_problem",
    "score_table",
    "solve",
]
