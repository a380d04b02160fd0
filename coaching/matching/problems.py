"""The matching engine's input built from a programme, and the engine asked about one pair or one circle.

Ids in the problem are user ids as strings; an existing circle is "circle:<pk>". The engine
(coaching.matching.engine) stays pure: this module is where the database meets it.

The problem holds (see docs/matching.md, "Input"): the programme's rules; its coaches with free seats;
the members waiting for a circle; and its open circles with free seats (`circles`), each with the
records of the members already seated, so the engine fills those seats first when the circle's rules
allow. Everyone's availability windows (their own local time) travel with their record.
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

from circles.models import Circle, CoachProfile, Membership, Programme
from circles.selectors import programme_coaches, unassigned_members
from coaching.accounts.models import AvailabilityWindow, User
from coaching.lib.hours import WAKING_HOURS
from coaching.matching import engine
from coaching.matching.preferences import preferences_by_member

MIN_OVERLAP_HOURS = 2
# Reasons written here sit next to the engine's (plain English) in a proposal; marked with
# gettext_noop so the page can show them translated.
NO_LANGUAGES = gettext_noop("has no language in their profile")
NO_COACH_WITH_ROOM = gettext_noop("no coach of the programme has room")

JsonDict = dict[str, Any]
CIRCLE_PREFIX = "circle:"


def circle_ref(circle_id: int) -> str:
    """An existing circle's id in the problem and solution JSON."""
    return f"{CIRCLE_PREFIX}{circle_id}"


def circle_pk(ref: str) -> int | None:
    """The primary key behind an existing circle's JSON id, or None for anything else."""
    number = ref.removeprefix(CIRCLE_PREFIX) if ref.startswith(CIRCLE_PREFIX) else ""
    return int(number) if number.isdigit() else None


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


def availability_of(users: Iterable[User]) -> dict[int, list[JsonDict]]:
    """Each person's weekly availability windows, local to them, as the engine reads them."""
    windows: dict[int, list[JsonDict]] = {}
    for window in AvailabilityWindow.objects.filter(user__in=[u.pk for u in users]).order_by(
        "user_id", "weekday", "starts_at"
    ):
        windows.setdefault(window.user_id, []).append(
            {
                "weekday": window.weekday,
                "start": f"{window.starts_at:%H:%M}",
                "end": f"{window.ends_at:%H:%M}",
            }
        )
    return windows


def _person_record(
    user: User, *, availability: dict[int, list[JsonDict]], languages: list[str] | None = None
) -> JsonDict:
    return {
        "id": str(user.pk),
        "timezone": user.timezone,
        "languages": languages if languages is not None else list(user.languages),
        "focus": _focus(user.focus_areas),
        "availability": availability.get(user.pk, []),
    }


def _open_circles(
    *, programme: Programme, coach_ids: set[int], largest: int
) -> list[tuple[Circle, User, list[User]]]:
    """Open circles of the programme with a free seat and a coach with room: (circle, coach, seated)."""
    seats = (
        Membership.objects.current()
        .filter(circle__programme=programme)
        .exclude(circle__status=Circle.Status.CLOSED)
        .select_related("user", "circle")
        .order_by("circle_id", "joined_at", "id")
    )
    coach: dict[int, User] = {}
    seated: dict[int, list[User]] = {}
    circles: dict[int, Circle] = {}
    for seat in seats:
        circles[seat.circle_id] = seat.circle
        if seat.role == Membership.Role.COACH:
            coach[seat.circle_id] = seat.user
        else:
            seated.setdefault(seat.circle_id, []).append(seat.user)
    found = []
    for circle_id, circle in sorted(circles.items()):
        members = seated.get(circle_id, [])
        # A circle's own capacity can be below the programme's size; its seats end at the smaller.
        if (
            circle_id in coach
            and coach[circle_id].pk in coach_ids
            and len(members) < min(circle.capacity, largest)
        ):
            found.append((circle, coach[circle_id], members))
    return found


def build_problem(*, programme: Programme, on: dt.date) -> Built:
    """The engine's problem on `on`: unassigned members, coaches with free seats, open circles with room."""
    coaches = [s for s in coach_seats(programme=programme) if s.free > 0 and s.coach.languages]
    members = unassigned_members(programme=programme)
    rules = rules_for(programme)
    largest = rules["circle_size"]["max"]
    circles = _open_circles(programme=programme, coach_ids={s.coach.pk for s in coaches}, largest=largest)
    seated = [user for _circle, _coach, people in circles for user in people]
    availability = availability_of([*members, *seated, *(s.coach for s in coaches)])
    wishes = preferences_by_member(
        member_ids=[m.pk for m in members], coach_ids=[s.coach.pk for s in coaches]
    )
    no_wishes: dict[str, list[int]] = {"prefer": [], "avoid": []}
    problem: JsonDict = {
        "reference_date": on.isoformat(),
        "rules": rules,
        "coaches": [
            {
                **_person_record(seats.coach, availability=availability),
                "focus": seats.focus,
                "capacity": seats.free,
            }
            for seats in coaches
        ],
        "members": [
            {
                **_person_record(member, availability=availability),
                "prefer": [str(pk) for pk in wishes.get(member.pk, no_wishes)["prefer"]],
                "avoid": [str(pk) for pk in wishes.get(member.pk, no_wishes)["avoid"]],
            }
            for member in members
            if member.languages
        ],
        "circles": [
            {
                "id": circle_ref(circle.pk),
                "coach": str(coach.pk),
                "name": circle.name,
                # Someone seated without a language in their profile follows the circle's language.
                "seated": [
                    _person_record(
                        user, availability=availability, languages=list(user.languages) or [circle.language]
                    )
                    for user in people
                ],
                "capacity": min(circle.capacity, largest),
            }
            for circle, coach, people in circles
        ],
    }
    left_out = [{"member": str(m.pk), "reason": NO_LANGUAGES} for m in members if not m.languages]
    return Built(problem=problem, left_out=left_out)


def records(problem: JsonDict) -> dict[str, JsonDict]:
    """Every person's record in the problem by id: coaches, waiting members, and members already seated."""
    found: dict[str, JsonDict] = {}
    for circle in problem.get("circles", []):
        for person in circle["seated"]:
            found[person["id"]] = person
    for person in [*problem["coaches"], *problem["members"]]:
        found[person["id"]] = person
    return found


@dataclass(frozen=True)
class CircleVerdict:
    """The engine's word on one circle: the rules it breaks (JSON issues), its language and shared window."""

    issues: list[JsonDict]
    language: str | None
    window_utc: list[str] | None
    weekday: int | None
    overlap_hours: float


def judge_circle(
    *, problem: JsonDict, coach_id: str, member_ids: list[str], people: dict[str, JsonDict] | None = None
) -> CircleVerdict:
    """Ask the engine's one rule (engine.rules) about a circle of this coach and members (seated too)."""
    # `people` (records(problem)) may be passed in by callers that judge many circles of one problem.
    people = people if people is not None else records(problem)
    parsed = engine.parse_problem(
        {
            "reference_date": problem["reference_date"],
            "rules": problem["rules"],
            "coaches": [{**people[coach_id], "capacity": len(member_ids)}],
            "members": [people[member_id] for member_id in member_ids],
        }
    )
    coach, members, on = parsed.coaches[0], list(parsed.members), parsed.reference_date
    found = engine.circle_issues(coach=coach, members=members, rules=parsed.rules, on=on)
    window = engine.circle_window(coach=coach, members=members, rules=parsed.rules, on=on)
    return CircleVerdict(
        issues=[issue.as_json() for issue in found],
        language=engine.circle_language(coach=coach, members=members),
        window_utc=window.utc() if window else None,
        weekday=window.weekday if window else None,
        overlap_hours=round(window.minutes / 60, 2) if window else 0,
    )


def circle_people(circle: JsonDict) -> list[str]:
    """Everyone a proposed circle would hold: those already seated (an existing circle), then newcomers."""
    return [*circle.get("seated", []), *circle["members"]]


def arrange(*, problem: JsonDict, solution: JsonDict, left_out: list[JsonDict]) -> JsonDict:
    """The engine's solution ready for review: circles with a stable `key`, everyone unplaced listed.

    Open circles the engine gave nobody to stay in the list without newcomers, so that an admin can
    move someone into their free seats; what the engine did not say about a circle (its issues,
    language, seated members) is asked of the one rule here.
    """
    unassigned = list(solution["unassigned"])
    if not problem["coaches"]:
        # The engine can only say that no coach shares a language; the truth is there was no coach.
        unassigned = [{"member": u["member"], "reason": NO_COACH_WITH_ROOM} for u in unassigned]
    proposed = [{"existing": None, "seated": [], **circle} for circle in solution["circles"]]
    used = {circle["existing"] for circle in proposed if circle["existing"]}
    for circle in problem.get("circles", []):
        if circle["id"] not in used:
            seated = [person["id"] for person in circle["seated"]]
            proposed.append(
                {"coach": circle["coach"], "members": [], "existing": circle["id"], "seated": seated}
            )
    circles = []
    for number, circle in enumerate(proposed, 1):
        if "issues" not in circle or "language" not in circle or "window_utc" not in circle:
            circle = {**circle, **_verdict_json(problem, circle)}
        circles.append({**circle, "key": str(number)})
    return {**solution, "circles": circles, "unassigned": unassigned + left_out, "moves": []}


def _verdict_json(problem: JsonDict, circle: JsonDict, people: dict[str, JsonDict] | None = None) -> JsonDict:
    if not circle_people(circle):
        # An open circle with nobody in it yet breaks nothing: it is only free seats.
        return {
            "issues": [],
            "language": None,
            "window_utc": None,
            "window_weekday_utc": None,
            "overlap_hours": 0,
        }
    verdict = judge_circle(
        problem=problem, coach_id=circle["coach"], member_ids=circle_people(circle), people=people
    )
    return {
        "issues": verdict.issues,
        "language": verdict.language,
        "window_utc": verdict.window_utc,
        "window_weekday_utc": verdict.weekday,
        "overlap_hours": verdict.overlap_hours,
    }


def refresh_circle(problem: JsonDict, circle: JsonDict, people: dict[str, JsonDict] | None = None) -> None:
    """Bring a proposed circle's issues, language and window up to date after its people changed."""
    circle.update(_verdict_json(problem, circle, people))
    circle["undersized"] = len(circle_people(circle)) < problem["rules"]["circle_size"]["min"]


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


def avoids(*, problem: JsonDict, member_id: str, coach_id: str) -> bool:
    """Whether the member asked never to be matched with this coach."""
    return coach_id in _record(problem["members"], member_id).get("avoid", [])
