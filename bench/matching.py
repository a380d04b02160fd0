"""Matching benchmark: `python -m bench.matching [--quick]` prints a table and writes var/bench-matching.json.

Synthetic programmes of 1k, 5k and 10k members (coaches = members / 20) are solved by the engine
and by the greedy baseline in the same process, each timed from a parsed problem to the finished
proposal (the engine's time includes forming circles with CP-SAT, coach by coach). Sizes take turns
within each repeat, so a busy moment on the machine hits every size alike; times are medians.
Beside times and objectives it counts the circles that meet the window rule (a shared stretch of
`min_overlap_hours`, coach included) and the language rule (a language everyone speaks, coach
included), for the engine and for the greedy baseline's hours-only circles, and the largest
formation gap over coaches (0 = every coach's circles proven optimal). The growth ratio
time(largest) / time(smallest) has a target of at most 15 for 1k -> 10k.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from bench.synthetic import programme
from coaching.matching.engine import Problem, Solution, greedy, parse_problem, solve

SIZES = (1_000, 5_000, 10_000)
QUICK_SIZES = (200, 500, 1_000)
GROWTH_TARGET = 15
ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small programmes, one repeat: a smoke test")
    parser.add_argument("--repeats", type=int, default=None, help="timed solves per size (default 7)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path, default=None, help="JSON results (default under var/)")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    repeats = args.repeats or (1 if args.quick else 7)
    output = args.output or ROOT / "var" / (
        "bench-matching-quick.json" if args.quick else "bench-matching.json"
    )

    problems = {size: _parse(size, args.seed) for size in sizes}
    rows = _measure(problems, repeats=repeats)
    growth = rows[-1]["solve_s"] / rows[0]["solve_s"]
    report = {
        "command": "python -m bench.matching" + (" --quick" if args.quick else ""),
        "machine": _machine(),
        "seed": args.seed,
        "repeats": repeats,
        "rows": rows,
        "growth_ratio": round(growth, 2),
        "growth_target": GROWTH_TARGET,
    }
    print(_table(rows))
    print(
        f"\ngrowth ratio time({sizes[-1]:,})/time({sizes[0]:,}) = {growth:.1f} "
        f"(target <= {GROWTH_TARGET}; medians of {repeats}, {report['machine']['cpus']} CPUs)"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


def _parse(size: int, seed: int) -> tuple[Problem, float]:
    started = time.perf_counter()
    problem = parse_problem(programme(members=size, seed=seed))
    return problem, time.perf_counter() - started


def _measure(problems: dict[int, tuple[Problem, float]], *, repeats: int) -> list[dict[str, float | int]]:
    solve_times: dict[int, list[float]] = {size: [] for size in problems}
    greedy_times: dict[int, list[float]] = {size: [] for size in problems}
    solutions: dict[int, tuple[Solution, Solution]] = {}
    for size, (problem, _) in problems.items():  # warm-up: imports, caches, first allocations
        solutions[size] = (solve(problem), greedy(problem))
    # Separate passes, so neither solver leaves the caches warm or cold for the other.
    for run, times in ((solve, solve_times), (greedy, greedy_times)):
        for _ in range(repeats):
            for size, (problem, _) in problems.items():
                times[size].append(_timed(run, problem))
    rows: list[dict[str, float | int]] = []
    for size, (problem, parse_s) in problems.items():
        engine, baseline = solutions[size]
        rows.append(
            {
                "members": size,
                "coaches": len(problem.coaches),
                "allowed_pairs": engine.stats.allowed_pairs,
                "flow_arcs": engine.stats.flow_arcs,
                "rounds": engine.stats.rounds,
                "parse_s": round(parse_s, 3),
                "solve_s": round(statistics.median(solve_times[size]), 3),
                "greedy_s": round(statistics.median(greedy_times[size]), 3),
                "assigned": len(engine.assignments),
                "assigned_greedy": len(baseline.assignments),
                "objective": engine.objective,
                "objective_greedy": baseline.objective,
                "circles": len(engine.circles),
                "circles_window_ok": _meeting(engine, "window_short"),
                "circles_language_ok": _meeting(engine, "no_shared_language"),
                "circles_greedy": len(baseline.circles),
                "circles_window_ok_greedy": _meeting(baseline, "window_short"),
                "circles_language_ok_greedy": _meeting(baseline, "no_shared_language"),
                "formation_gap_max": max((f.gap for f in engine.stats.formation), default=0.0),
                "formation_optimal": sum(f.status == "optimal" for f in engine.stats.formation),
                "formation_coaches": len(engine.stats.formation),
                "no_circle_fits": sum(u.reason == "no_circle_fits" for u in engine.unassigned),
            }
        )
    return rows


def _meeting(solution: Solution, code: str) -> int:
    """How many of the solution's circles do not break the rule with this issue code."""
    return sum(all(issue.code != code for issue in circle.issues) for circle in solution.circles)


def _timed(run: Callable[[Problem], Solution], problem: Problem) -> float:
    started = time.perf_counter()
    run(problem)
    return time.perf_counter() - started


def _table(rows: list[dict[str, float | int]]) -> str:
    header = (
        "| members | coaches | allowed pairs | flow arcs (rounds) | solve s | greedy s "
        "| assigned (greedy) | objective (greedy) | gain | window rule ok / circles (greedy) "
        "| language rule ok / circles (greedy) | formation gap max (optimal coaches) |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for row in rows:
        gain = (row["objective"] / row["objective_greedy"] - 1) * 100 if row["objective_greedy"] else 0.0
        lines.append(
            f"| {row['members']:,} | {row['coaches']:,} | {row['allowed_pairs']:,} "
            f"| {row['flow_arcs']:,} ({row['rounds']}) | {row['solve_s']:.3f} | {row['greedy_s']:.3f} "
            f"| {row['assigned']:,} ({row['assigned_greedy']:,}) "
            f"| {row['objective']:,.1f} ({row['objective_greedy']:,.1f}) | +{gain:.1f}% "
            f"| {row['circles_window_ok']:,}/{row['circles']:,} "
            f"({row['circles_window_ok_greedy']:,}/{row['circles_greedy']:,}) "
            f"| {row['circles_language_ok']:,}/{row['circles']:,} "
            f"({row['circles_language_ok_greedy']:,}/{row['circles_greedy']:,}) "
            f"| {row['formation_gap_max']:.2g} ({row['formation_optimal']}/{row['formation_coaches']}) |"
        )
    return "\n".join(lines)


def _machine() -> dict[str, object]:
    model = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        model = names[0] if names else model
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "ortools": version("ortools"),
    }


if __name__ == "__main__":
    sys.exit(main())
