"""The matching engine's input built from a programme, and the engine asked about one pair or one circle.

Ids in the problem are user ids as strings. The engine (coaching.matching.engine) stays pure: this
module is where the database meets it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_noop

from circles.models import CoachProfile, Membership, Programme
from circles.selectors import programme_coaches, unassigned_members
from coaching.accounts.models import User
from coaching.lib.hours import WAKING_HOURS
from coaching.matching import engine
from coaching.matching.preferences import preferences_by_member

MIN_OVERLAP_HOURS = 2
# Reasons written here sit next to the engine's (plain English) in a proposal; marked with
# gettext_noop so the page can show them translated.
NO_LANGUAGES = gettext_noop("has no language in their profile")
NO_COACH_WITH_ROOM = gettext_noop("no coach of the programme has room")

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Built:
    """A problem for the engine, and the members it cannot take (no language), each with the reason."""

    problem: JsonDict
    left_out: list[JsonDict]


def reference_date(*, programme: Programme, today: dt.date | None = None) -> dt.date:
    """The day whose clocks (daylight saving time) count: today, or the programme's start if later."""
    today = today or timezone.localdate()
    return max(today, programme.starts_on) if programme.starts_on else today


def rules_for(programme: Programme) -> JsonDict:
    """The engine's rules for a programme: circles of up to its default size, at least half of that."""
    largest = programme.default_circle_size
    return {
        "min_overlap_hours": MIN_OVERLAP_HOURS,
        "waking_hours": list(WAKING_HOURS),
        "circle_size": {"min": max(2, math.ceil(largest / 2)), "max": largest},
    }


def _focus(areas: Iterable[object]) -> list[str]:
    # People type focus areas freely; "Career" and "career " are the same wish.
    cleaned = (str(area).strip().lower() for area in areas)
    return list(dict.fromkeys(area for area in cleaned if area))


def _members_coached(programme: Programme) -> dict[int, int]:
    """How many member seats each coach holds in the programme's circles right now."""
    in_programme = Membership.objects.filter(circle__programme=programme)
    coach_of = dict(in_programme.coaches().values_list("circle_id", "user_id"))
    counts = (
        in_programme.members()
        .values("circle_id")
        .annotate(seats=Count("pk"))
        .values_list("circle_id", "seats")
    )
    taken: dict[int, int] = {}
    for circle_id, seats in counts:
        coach_id = coach_of.get(circle_id)
        if coach_id is not None:
            taken[coach_id] = taken.get(coach_id, 0) + seats
    return taken


@dataclass(frozen=True)
class CoachSeats:
    """A coach of the programme, the most members they take, how many they have, and their focus areas."""

    coach: User
    capacity: int
    taken: int
    focus: list[str]

    @property
    def free(self) -> int:
        """Members the coach can still take."""
        return max(0, self.capacity - self.taken)


def coach_seats(*, programme: Programme) -> list[CoachSeats]:
    """Every coach of the programme with their capacity (CoachProfile, else its default) and members now."""
    coaches = list(programme_coaches(programme=programme))
    profiles = {p.user_id: p for p in CoachProfile.objects.filter(user__in=coaches)}
    default_capacity = CoachProfile._meta.get_field("capacity").get_default()
    taken = _members_coached(programme)
    seats = []
    for coach in coaches:
        profile = profiles.get(coach.pk)
        seats.append(
            CoachSeats(
                coach=coach,
                capacity=profile.capacity if profile else default_capacity,
                taken=taken.get(coach.pk, 0),
                focus=_focus(profile.specialities if profile and profile.specialities else coach.focus_areas),
            )
        )
    return seats


def build_problem(*, programme: Programme, on: dt.date) -> Built:
    """The engine's problem: the programme's unassigned members and its coaches with free seats, on `on`."""
    coaches = [s for s in coach_seats(programme=programme) if s.free > 0 and s.coach.languages]
    members = unassigned_members(programme=programme)
    wishes = preferences_by_member(
        member_ids=[m.pk for m in members], coach_ids=[s.coach.pk for s in coaches]
    )
    no_wishes: dict[str, list[int]] = {"prefer": [], "avoid": []}
    problem: JsonDict = {
        "reference_date": on.isoformat(),
        "rules": rules_for(programme),
        "coaches": [
            {
                "id": str(seats.coach.pk),
                "timezone": seats.coach.timezone,
                "languages": list(seats.coach.languages),
                "focus": seats.focus,
                "capacity": seats.free,
            }
            for seats in coaches
        ],
        "members": [
            {
                "id": str(member.pk),
                "timezone": member.timezone,
                "languages": list(member.languages),
                "focus": _focus(member.focus_areas),
                "prefer": [str(pk) for pk in wishes.get(member.pk, no_wishes)["prefer"]],
                "avoid": [str(pk) for pk in wishes.get(member.pk, no_wishes)["avoid"]],
            }
            for member in members
            if member.languages
        ],
    }
    left_out = [{"member": str(m.pk), "reason": NO_LANGUAGES} for m in members if not m.languages]
    return Built(problem=problem, left_out=left_out)


def arrange(*, problem: JsonDict, solution: JsonDict, left_out: list[JsonDict]) -> JsonDict:
    """The engine's solution ready for review: circles with a stable `key`, everyone unplaced listed."""
    unassigned = list(solution["unassigned"])
    if not problem["coaches"]:
        # The engine can only say that no coach shares a language; the truth is there was no coach.
        unassigned = [{"member": u["member"], "reason": NO_COACH_WITH_ROOM} for u in unassigned]
    return {
        **solution,
        "circles": [{**circle, "key": str(number)} for number, circle in enumerate(solution["circles"], 1)],
        "unassigned": unassigned + left_out,
        "moves": [],
    }


def _record(people: list[JsonDict], person_id: str) -> JsonDict:
    return next(person for person in people if person["id"] == person_id)


def _subproblem(problem: JsonDict, *, coach: JsonDict, members: list[JsonDict]) -> engine.Problem:
    rules = {**problem["rules"], "circle_size": {"min": 1, "max": max(1, len(members))}}
    return engine.parse_problem(
        {
            "reference_date": problem["reference_date"],
            "rules": rules,
            "coaches": [{**coach, "capacity": len(members)}],
            "members": members,
        }
    )


@dataclass(frozen=True)
class PairVerdict:
    """The engine's word on one member with one coach: allowed (with score and reasons) or not."""

    allowed: bool
    score: float = 0.0
    reasons: tuple[str, ...] = ()


def judge_pair(*, problem: JsonDict, member_id: str, coach_id: str) -> PairVerdict:
    """Whether the engine allows this member with this coach under the problem's hard rules, and the fit."""
    member = _record(problem["members"], member_id)
    coach = _record(problem["coaches"], coach_id)
    solution = engine.solve(_subproblem(problem, coach=coach, members=[member]))
    if not solution.assignments:
        return PairVerdict(allowed=False)
    placed = solution.assignments[0]
    return PairVerdict(allowed=True, score=placed.score, reasons=placed.reasons)


def circle_window(
    *, problem: JsonDict, coach_id: str, member_ids: list[str]
) -> tuple[list[str] | None, float]:
    """The circle's shared waking window (UTC, as the engine writes it) and its length in hours."""
    if not member_ids:
        return None, 0
    coach = _record(problem["coaches"], coach_id)
    members = [_record(problem["members"], member_id) for member_id in member_ids]
    circles = engine.solve(_subproblem(problem, coach=coach, members=members)).as_json()["circles"]
    assert isinstance(circles, list)
    if not circles:
        return None, 0
    return circles[0]["window_utc"], circles[0]["overlap_hours"]


def shares_language(*, problem: JsonDict, member_id: str, coach_id: str) -> bool:
    """Whether the two share a language (to say which hard rule a refused pair breaks)."""
    member = _record(problem["members"], member_id)
    coach = _record(problem["coaches"], coach_id)
    return bool(set(member["languages"]) & set(coach["languages"]))


def avoids(*, problem: JsonDict, member_id: str, coach_id: str) -> bool:
    """Whether the member asked never to be matched with this coach."""
    return coach_id in _record(problem["members"], member_id).get("avoid", [])
