"""`python -m coaching.matching solve|score`: a problem as JSON on stdin, the answer as JSON on stdout.

Bad input exits with status 1 and one line on stderr naming the offending record (2 for a wrong
command line); stdout then stays empty, because the answer is written only once it is complete.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .problem import ProblemError, parse_problem
from .score import score_table
from .solve import solve

USAGE = "usage: python -m coaching.matching {solve|score} < problem.json > answer.json"


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    if args in (["-h"], ["--help"]):
        print(USAGE, file=stdout)
        return 0
    if len(args) != 1 or args[0] not in ("solve", "score"):
        print(USAGE, file=stderr)
        return 2
    try:
        problem = parse_problem(json.loads(stdin.read()))
    except json.JSONDecodeError as error:
        print(f"input is not JSON: {error}", file=stderr)
        return 1
    except ProblemError as error:
        print(error, file=stderr)
        return 1
    answer = solve(problem).as_json() if args[0] == "solve" else {"scores": score_table(problem)}
    stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return 0
