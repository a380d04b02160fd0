"""Pure: a line-by-line difference between two texts of the circle notes, for the history pages."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Op = Literal["same", "added", "removed"]


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: kept, added in the newer text, or removed from the older one."""

    op: Op
    text: str


def line_diff(old: str, new: str) -> list[DiffLine]:
    """The lines of `old` and `new` in order, each marked same, added or removed (removals first)."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine("same", text) for text in old_lines[i1:i2])
            continue
        lines.extend(DiffLine("removed", text) for text in old_lines[i1:i2])
        lines.extend(DiffLine("added", text) for text in new_lines[j1:j2])
    return lines
