"""The matching problem as typed records, and `parse_problem`, which turns JSON data into one or refuses it.

People may give weekly availability windows (local time); the problem may list the programme's open
circles with free seats (`circles`), which the engine fills before it opens new ones.

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
    # CP-SAT time per coach when forming circles; the best circles found by then are kept.
    formation_seconds: float = 0.05

    @property
    def min_overlap_minutes(self) -> int:
        return round(self.min_overlap_hours * 60)

    @property
    def waking_start_minute(self) -> int:
        return round(self.waking_hours[0] * 60)

    @property
    def waking_minutes(self) -> int:
        return round(self.waking_hours[1] * 60) - self.waking_start_minute


@dataclass(frozen=True, slots=True, order=True)
class Availability:
    """A weekly window when a person is free, in their local time: weekday 0 = Monday, minutes of the day.

    `end_minute` is after `start_minute` (1440 = midnight at the end of the day).
    """

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class Coach:
    id: str
    timezone: str
    languages: tuple[str, ...]
    focus: tuple[str, ...]
    capacity: int
    availability: tuple[Availability, ...] = ()


@dataclass(frozen=True, slots=True)
class Member:
    """A member; `languages` are in the member's order of preference, the first being their best."""

    id: str
    timezone: str
    languages: tuple[str, ...]
    focus: tuple[str, ...]
    prefer: frozenset[str] = frozenset()
    avoid: frozenset[str] = frozenset()
    availability: tuple[Availability, ...] = ()


@dataclass(frozen=True, slots=True)
class ExistingCircle:
    """An open circle of the programme: its coach, the members seated in it, and its most members."""

    id: str
    coach: str
    name: str
    seated: tuple[Member, ...]
    capacity: int

    @property
    def free_seats(self) -> int:
        return max(0, self.capacity - len(self.seated))


@dataclass(frozen=True, slots=True)
class Problem:
    reference_date: date
    rules: Rules
    coaches: tuple[Coach, ...]
    members: tuple[Member, ...]
    circles: tuple[ExistingCircle, ...] = ()


def parse_problem(data: object) -> Problem:
    """Validate decoded JSON and build the Problem, or raise ProblemError naming the offending record."""
    top = _Record(data, "problem")
    reference_date = _parse_date(top.text("reference_date"))
    rules = _parse_rules(top.record("rules"))
    coaches = tuple(_parse_coach(item, number) for number, item in enumerate(top.items("coaches"), 1))
    members = tuple(_parse_member(item, number) for number, item in enumerate(top.items("members"), 1))
    _refuse_duplicates("coach", [coach.id for coach in coaches])
    circles = _parse_circles(top, coach_ids={coach.id for coach in coaches})
    seated = [person.id for circle in circles for person in circle.seated]
    # Someone seated is not waiting: listing them twice would let the engine seat them twice.
    _refuse_duplicates("member", [member.id for member in members] + seated)
    _refuse_duplicates("circle", [circle.id for circle in circles])
    return Problem(
        reference_date=reference_date, rules=rules, coaches=coaches, members=members, circles=circles
    )


def _parse_circles(top: _Record, *, coach_ids: set[str]) -> tuple[ExistingCircle, ...]:
    """The open circles; one whose coach is not in the problem (no room left) can take no one: skipped."""
    if "circles" not in top.data:
        return ()
    circles = []
    for number, item in enumerate(top.items("circles"), 1):
        record = _Record(item, f"circle #{number}")
        record.label = f"circle {record.text('id')}"
        seated = record.items("seated")
        circle = ExistingCircle(
            id=record.text("id"),
            coach=record.text("coach"),
            name=str(record.data.get("name") or ""),
            seated=tuple(_parse_member(person, seat) for seat, person in enumerate(seated, 1)),
            capacity=record.whole("capacity", minimum=1),
        )
        if circle.coach in coach_ids:
            circles.append(circle)
    return tuple(circles)


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
    rules.refuse_unknown({"min_overlap_hours", "waking_hours", "circle_size", "weights", "formation_seconds"})
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
    seconds = rules.number("formation_seconds", minimum=0.01) if "formation_seconds" in rules.data else 0.05
    return Rules(
        min_overlap_hours=min_overlap,
        waking_hours=(float(waking[0]), float(waking[1])),
        circle_min=circle_min,
        circle_max=circle_max,
        weights=weights,
        formation_seconds=seconds,
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
        availability=_availability(record),
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
        availability=_availability(record),
    )


def _availability(record: _Record) -> tuple[Availability, ...]:
    """Optional weekly windows, [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}], sorted, no repeats."""
    if "availability" not in record.data or record.data["availability"] is None:
        return ()
    windows = set()
    for number, item in enumerate(record.items("availability"), 1):
        window = _Record(item, f"{record.label} availability #{number}")
        window.refuse_unknown({"weekday", "start", "end"})
        weekday = window.whole("weekday", minimum=0)
        if weekday > 6:
            raise window.fail(f'"weekday" must be 0 (Monday) to 6 (Sunday), got {weekday}')
        start, end = _clock_minute(window, "start"), _clock_minute(window, "end")
        if end <= start:
            raise window.fail(f'"end" must be after "start", got {window.data["start"]}-{window.data["end"]}')
        windows.add(Availability(weekday=weekday, start_minute=start, end_minute=end))
    return tuple(sorted(windows))


def _clock_minute(record: _Record, key: str) -> int:
    text = record.text(key)
    hours, _, minutes = text.partition(":")
    if (
        len(hours) != 2
        or len(minutes) != 2
        or not (hours + minutes).isdigit()
        or int(minutes) > 59
        or int(hours) * 60 + int(minutes) > 24 * 60
    ):
        raise record.fail(f'"{key}" must be a time like "18:30" (00:00 to 24:00), got {json.dumps(text)}')
    return int(hours) * 60 + int(minutes)


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
