"""The pure line diff the notes history shows."""

from __future__ import annotations

from coaching.library.diff import DiffLine, line_diff


def test_a_changed_line_shows_as_removed_then_added_between_kept_lines():
    old = "Goals\n- save money\n- run 5 km"
    new = "Goals\n- save 100 a month\n- run 5 km\n- read"
    assert line_diff(old, new) == [
        DiffLine("same", "Goals"),
        DiffLine("removed", "- save money"),
        DiffLine("added", "- save 100 a month"),
        DiffLine("same", "- run 5 km"),
        DiffLine("added", "- read"),
    ]


def test_from_nothing_everything_is_added():
    assert [line.op for line in line_diff("", "a\nb")] == ["added", "added"]
