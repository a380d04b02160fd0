"""`python -m coaching.matching solve|score`: JSON in and out; bad input: one line on stderr, no output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .builders import coach, member, problem

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coaching.matching", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


PROBLEM = problem(
    coaches=[coach("c1", "Europe/Madrid", languages=["es", "en"], focus=["career"], capacity=2)],
    members=[
        member("m1", "America/Bogota", focus=["career"], prefer=["c1"]),
        member("m2", "Africa/Nairobi", languages=["sw"]),
    ],
)


def test_it_solves_a_problem_from_stdin():
    result = run("solve", stdin=json.dumps(PROBLEM))
    assert result.returncode == 0, result.stderr
    solution = json.loads(result.stdout)
    assert solution["assignments"] == [
        {
            "member": "m1",
            "coach": "c1",
            "score": 0.9,
            "reasons": [
                "speaks es",
                "shares focus: career",
                "8 h shared waking time",
                "asked for this coach",
            ],
        }
    ]
    assert solution["unassigned"] == [{"member": "m2", "reason": "no coach shares a language (sw)"}]
    assert solution["circles"] == [
        {
            "coach": "c1",
            "existing": None,
            "members": ["m1"],
            "seated": [],
            "language": "es",
            "window_utc": ["13:00", "21:00"],
            "window_weekday_utc": None,
            "overlap_hours": 8,
            "undersized": True,
            "issues": [{"code": "too_small", "people": [], "minutes": None}],
        }
    ]
    assert solution["objective"] == 0.9
    assert set(solution["stats"]) == {"members", "coaches", "allowed_pairs", "elapsed_s", "formation"}
    assert [(f["coach"], f["status"], f["gap"]) for f in solution["stats"]["formation"]] == [
        ("c1", "optimal", 0)
    ]
    assert solution["stats"]["allowed_pairs"] == 1


def test_it_scores_allowed_pairs_only():
    result = run("score", stdin=json.dumps(PROBLEM))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"scores": {"m1": {"c1": 0.9}, "m2": {}}}


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        (
            json.dumps(problem(coaches=[], members=[member("m9", "Mars/Base")])),
            'member m9: unknown time zone "Mars/Base"',
        ),
        (
            json.dumps(problem(coaches=[], members=[member("m1"), member("m1")])),
            "member m1: duplicate id (member #1 and member #2)",
        ),
        (
            json.dumps(problem(coaches=[coach("c2", capacity=-1)], members=[])),
            'coach c2: "capacity" must be at least 0, got -1',
        ),
        (
            json.dumps({"rules": PROBLEM["rules"], "coaches": [], "members": []}),
            'problem: missing field "reference_date"',
        ),
        (
            '{"reference_date": "2026-01-15",',
            "input is not JSON: Expecting property name enclosed in double quotes",
        ),
        ("", "input is not JSON: Expecting value: line 1 column 1 (char 0)"),
    ],
    ids=["unknown-zone", "duplicate-id", "negative-capacity", "missing-field", "broken-json", "empty"],
)
def test_it_refuses_bad_input_with_one_line_and_no_output(stdin, expected):
    result = run("solve", stdin=stdin)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(expected)


@pytest.mark.parametrize("args", [(), ("match",), ("solve", "extra")])
def test_it_shows_usage_for_a_wrong_command(args):
    result = run(*args, stdin=json.dumps(PROBLEM))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "usage: python -m coaching.matching {solve|score} < problem.json > answer.json\n"


def test_it_refuses_bad_input_to_score_alike():
    result = run("score", stdin=json.dumps(problem(coaches=[coach("c1", "Mars/Base")], members=[])))
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        'coach c1: unknown time zone "Mars/Base"\n',
    )
