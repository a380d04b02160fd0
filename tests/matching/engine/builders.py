"""Small builders of matching problems as JSON-shaped dicts, with plain defaults a test can override."""

from __future__ import annotations

from typing import Any


def coach(id_: str, timezone: str = "Europe/Madrid", **fields: Any) -> dict[str, Any]:
    return {"id": id_, "timezone": timezone, "languages": ["es"], "focus": [], "capacity": 8, **fields}


def member(id_: str, timezone: str = "Europe/Madrid", **fields: Any) -> dict[str, Any]:
    return {"id": id_, "timezone": timezone, "languages": ["es"], "focus": [], **fields}


def problem(
    *,
    coaches: list[dict[str, Any]],
    members: list[dict[str, Any]],
    reference_date: str = "2026-01-15",
    **rules: Any,
) -> dict[str, Any]:
    return {
        "reference_date": reference_date,
        "rules": {
            "min_overlap_hours": 2,
            "waking_hours": [8, 22],
            "circle_size": {"min": 4, "max": 8},
            **rules,
        },
        "coaches": coaches,
        "members": members,
    }
