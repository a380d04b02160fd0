"""The matching problem as typed records, and `parse_problem`, which turns JSON data into one or refuses it.

Validation is strict where a mistake would silently change the result (time zones, ids, capacities,
rules, weights) and lenient where it cannot: people's records may carry extra fields (names, emails),
and ids in `prefer` or `avoid` that name no coach of this problem are ignored, because a member's
profile may mention coaches who are not available in this programme run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ProblemError(ValueError):
    """The input is not a valid matching problem; the message is one line naming the offending record."""


@dataclass(frozen=True, slots=True)
class Weights:
    """Relative weights of the soft score's parts; the score is their weighted mean, from 0 to 1."""

    focus: float = 0.4
    prefer: float = 0.25
    time: float = 0.2
    language: float = 0.15

    @property
    def total(self) -> float:
        return self.focus + self.prefer + self.time + self.language


@dataclass(frozen=True, slots=True)
class Rules:
    """The programme's rules: hours as in the input, whole minutes for the arithmetic."""

    min_overlap_hours: float
    waking_hours: tuple[float, float]
    circle_min: int
    circle_max: int
    weights: Weights = field(default_factory=Weights)

    @property
    def min_overlap_minutes(self) -> int:
        return round(self.min_overlap_hours * 60)

    @property
    def waking_start_minute(self) -> int:
        return round(self.waking_hours[0] * 60)

    @property
    def waking_minutes(self) -> int:
        return round(self.waking_hours[1] * 60) - self.waking_start_minute


@dataclass(frozen=True, slots=True)
class Coach:
    id: str
    timezone: str
    languages: tuple[str, ...]
    focus: tuple[str, ...]
    capacity: int


@dataclass(frozen=True, slots=True)
class Member:
    """A member; `languages` are in the member's order of preference, the first being their best."""

    id: str
    timezone: str
    languages: tuple[str, ...]
    focus: tuple[str, ...]
    prefer: frozenset[str] = frozenset()
    avoid: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Problem:
    reference_date: date
    rules: Rules
    coaches: tuple[Coach, ...]
    members: tuple[Member, ...]


def parse_problem(data: object) -> Problem:
    """Validate decoded JSON and build the Problem, or raise ProblemError naming the offending record."""
    top = _Record(data, "problem")
    reference_date = _parse_date(top.text("reference_date"))
    rules = _parse_rules(top.record("rules"))
    coaches = tuple(_parse_coach(item, number) for number, item in enumerate(top.items("coaches"), 1))
    members = tuple(_parse_member(item, number) for number, item in enumerate(top.items("members"), 1))
    _refuse_duplicates("coach", [coach.id for coach in coaches])
    _refuse_duplicates("member", [member.id for member in members])
    return Problem(reference_date=reference_date, rules=rules, coaches=coaches, members=members)


class _Record:
    """Typed reads of one JSON object's fields; every failure names the record."""

    def __init__(self, data: object, label: str) -> None:
        if not isinstance(data, Mapping):
            raise ProblemError(f"{label}: expected an object, got {_kind(data)}")
        self.data: Mapping[str, object] = data
        self.label = label

    def fail(self, message: str) -> ProblemError:
        return ProblemError(f"{self.label}: {message}")

    def get(self, key: str) -> object:
        if key not in self.data:
            raise self.fail(f'missing field "{key}"')
        return self.data[key]

    def refuse_unknown(self, known: set[str]) -> None:
        # Only for settings-like objects, where a misspelt key would silently fall back to a default.
        unknown = sorted(set(self.data) - known)
        if unknown:
            raise self.fail(f'unknown field "{unknown[0]}"')

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f'"{key}" must be a non-empty string, got {_kind(value)}')
        return value

    def number(self, key: str, *, minimum: float = 0.0) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(f'"{key}" must be a number, got {_kind(value)}')
        if value < minimum:
            raise self.fail(f'"{key}" must be at least {minimum:g}, got {value:g}')
        return float(value)

    def whole(self, key: str, *, minimum: int) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f'"{key}" must be a whole number, got {_kind(value)}')
        if value < minimum:
            raise self.fail(f'"{key}" must be at least {minimum}, got {value}')
        return value

    def texts(self, key: str, *, required: bool = True, non_empty: bool = False) -> tuple[str, ...]:
        if not required and key not in self.data:
            return ()
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.fail(f'"{key}" must be a list of non-empty strings, got {_kind(value)}')
        if non_empty and not value:
            raise self.fail(f'"{key}" must not be empty')
        return tuple(dict.fromkeys(value))  # keeps the order, drops repeats

    def items(self, key: str) -> list[object]:
        value = self.get(key)
        if not isinstance(value, list):
            raise self.fail(f'"{key}" must be a list, got {_kind(value)}')
        return value

    def record(self, key: str) -> _Record:
        return _Record(self.get(key), f"{self.label}.{key}" if self.label != "problem" else key)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ProblemError(
            f'reference_date: expected a date like "2026-01-15", got {json.dumps(text)}'
        ) from None


def _parse_rules(rules: _Record) -> Rules:
    rules.refuse_unknown({"min_overlap_hours", "waking_hours", "circle_size", "weights"})
    min_overlap = rules.number("min_overlap_hours")
    waking = rules.get("waking_hours")
    if (
        not isinstance(waking, list)
        or len(waking) != 2
        or not all(isinstance(hour, int | float) and not isinstance(hour, bool) for hour in waking)
        or not 0 <= waking[0] < waking[1] <= 24
        or waking[1] - waking[0] >= 24
    ):
        raise rules.fail(
            f'"waking_hours" must be [start, end] with 0 <= start < end <= 24, shorter than a day, '
            f"got {_kind(waking)}"
        )
    size = rules.record("circle_size")
    size.refuse_unknown({"min", "max"})
    circle_min = size.whole("min", minimum=1)
    circle_max = size.whole("max", minimum=circle_min)
    weights = _parse_weights(rules.record("weights")) if "weights" in rules.data else Weights()
    return Rules(
        min_overlap_hours=min_overlap,
        waking_hours=(float(waking[0]), float(waking[1])),
        circle_min=circle_min,
        circle_max=circle_max,
        weights=weights,
    )


def _parse_weights(record: _Record) -> Weights:
    defaults = Weights()
    names = ("focus", "prefer", "time", "language")
    record.refuse_unknown(set(names))
    values = {name: record.number(name) if name in record.data else getattr(defaults, name) for name in names}
    weights = Weights(**values)
    if weights.total <= 0:
        raise record.fail("at least one weight must be above 0")
    return weights


def _parse_coach(data: object, number: int) -> Coach:
    record = _person(data, "coach", number)
    return Coach(
        id=record.text("id"),
        timezone=_timezone(record),
        languages=record.texts("languages", non_empty=True),
        focus=record.texts("focus", required=False),
        capacity=record.whole("capacity", minimum=0),
    )


def _parse_member(data: object, number: int) -> Member:
    record = _person(data, "member", number)
    return Member(
        id=record.text("id"),
        timezone=_timezone(record),
        languages=record.texts("languages", non_empty=True),
        focus=record.texts("focus", required=False),
        prefer=frozenset(record.texts("prefer", required=False)),
        avoid=frozenset(record.texts("avoid", required=False)),
    )


def _person(data: object, role: str, number: int) -> _Record:
    """The record labelled by its id once it has a usable one, by its position until then."""
    record = _Record(data, f"{role} #{number}")
    record.label = f"{role} {record.text('id')}"
    return record


def _timezone(record: _Record) -> str:
    name = record.text("timezone")
    if not _known_zone(name):
        raise record.fail(f"unknown time zone {json.dumps(name)}")
    return name


@cache
def _known_zone(name: str) -> bool:
    # Cached: thousands of people share a few dozen zones, and loading one reads a file.
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _refuse_duplicates(role: str, ids: list[str]) -> None:
    first_seen: dict[str, int] = {}
    for number, id_ in enumerate(ids, 1):
        if id_ in first_seen:
            raise ProblemError(f"{role} {id_}: duplicate id ({role} #{first_seen[id_]} and {role} #{number})")
        first_seen[id_] = number


def _kind(value: object) -> str:
    """A short rendering of a bad value for an error message."""
    text = json.dumps(value) if not isinstance(value, Mapping) else "an object"
    return text if len(text) <= 40 else f"{text[:37]}..."
