"""Matching proposals: start one, review it (with the admin's moves), drop, re-run, publish.

The engine runs in the worker (coaching.matching.tasks). Publishing writes circles and seats only
through circles.services, with source "matching", in one transaction: all of it or none of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from circles import services
from circles.errors import CircleRuleError
from circles.models import AssignmentAudit, Circle, CoachProfile, MatchProposal, Programme
from coaching.accounts.models import User
from coaching.accounts.zones import local_clock
from coaching.matching import problems, tasks
from coaching.matching.problems import JsonDict

Status = MatchProposal.Status
MEETING_WEEKDAY = Circle.Weekday.TUESDAY
MEETING_MINUTES = 90
MIN_MEETING_MINUTES = 15


def start_proposal(*, programme: Programme, actor: User) -> MatchProposal:
    """Create a running proposal for the programme; the engine starts in the worker after commit."""
    proposal = MatchProposal.objects.create(programme=programme, created_by=actor)
    transaction.on_commit(partial(tasks.run_proposal, proposal.pk))
    return proposal


def recent_proposals(*, programme: Programme) -> QuerySet[MatchProposal]:
    """The programme's latest proposals, newest first, without their (large) problem and solution."""
    return programme.match_proposals.select_related("created_by").defer("problem", "solution")[:10]


def drop_proposal(*, proposal: MatchProposal) -> bool:
    """Set a proposal aside without publishing it; False if it was already published or dropped."""
    live = [Status.RUNNING, Status.READY, Status.FAILED]
    return bool(MatchProposal.objects.filter(pk=proposal.pk, status__in=live).update(status=Status.DROPPED))


@transaction.atomic
def rerun_proposal(*, proposal: MatchProposal, actor: User) -> MatchProposal:
    """Drop this proposal (unless published) and start a new one on the programme as it is now."""
    drop_proposal(proposal=proposal)
    return start_proposal(programme=proposal.programme, actor=actor)


# --- the admin's moves -------------------------------------------------------------------------


def _name_of(user_id: str) -> str:
    user = User.objects.filter(pk=int(user_id)).first()
    return user.name if user else _("someone who left")


def _locked_ready(proposal: MatchProposal) -> MatchProposal:
    locked = MatchProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != Status.READY:
        raise CircleRuleError(
            _("This proposal is %(status)s, so it can no longer be changed.")
            % {"status": locked.get_status_display()},
            code="not_ready",
        )
    return locked


@transaction.atomic
def move_in_proposal(*, proposal: MatchProposal, member_id: str, to_circle: str) -> str:
    """Move a member to another proposed circle if its coach's hard rules allow it; returns what was done.

    Nothing changes when the member or circle is not in this proposal, the circle is full, the coach
    has no room left, or the engine does not allow the member with that coach.
    """
    locked = _locked_ready(proposal)
    problem, solution = locked.problem, locked.solution
    circles: list[JsonDict] = solution["circles"]
    source = next((c for c in circles if member_id in c["members"]), None)
    target = next((c for c in circles if c["key"] == to_circle), None)
    if source is None:
        raise CircleRuleError(
            _("That person is not in one of this proposal's circles."), code="not_in_proposal"
        )
    if target is None:
        raise CircleRuleError(_("That circle is not part of this proposal."), code="not_in_proposal")
    person = _name_of(member_id)
    if source is target:
        raise CircleRuleError(
            _("%(person)s is already in that circle.") % {"person": person}, code="already_there"
        )
    largest = problem["rules"]["circle_size"]["max"]
    if len(target["members"]) >= largest:
        raise CircleRuleError(
            _("That circle is full (%(count)d members, the programme's largest size).") % {"count": largest},
            code="circle_full",
        )
    if target["coach"] != source["coach"]:
        _check_new_coach(problem=problem, solution=solution, member_id=member_id, coach_id=target["coach"])
    source["members"].remove(member_id)
    target["members"].append(member_id)
    for circle in (source, target):
        circle["window_utc"], circle["overlap_hours"] = problems.circle_window(
            problem=problem, coach_id=circle["coach"], member_ids=circle["members"]
        )
        circle["undersized"] = len(circle["members"]) < problem["rules"]["circle_size"]["min"]
    solution["circles"] = [c for c in circles if c["members"]]
    solution["moves"] = [
        *solution.get("moves", []),
        {"member": member_id, "from": source["key"], "to": target["key"], "at": timezone.now().isoformat()},
    ]
    locked.save(update_fields=["solution"])
    coaches = User.objects.in_bulk([int(c["coach"]) for c in solution["circles"]])
    label = circle_names(programme=locked.programme, circles=solution["circles"], coaches=coaches)[
        target["key"]
    ]
    return _("%(person)s moved to %(circle)s.") % {"person": person, "circle": label}


def _check_new_coach(*, problem: JsonDict, solution: JsonDict, member_id: str, coach_id: str) -> None:
    """Refuse a new coach who is full or whom a hard rule forbids; else give the member the new fit."""
    coach = next(c for c in problem["coaches"] if c["id"] == coach_id)
    given = sum(1 for a in solution["assignments"] if a["coach"] == coach_id)
    names = {"person": _name_of(member_id), "coach": _name_of(coach_id)}
    if given >= coach["capacity"]:
        raise CircleRuleError(
            _("%(coach)s has no room for another member in this programme.") % names, code="coach_full"
        )
    verdict = problems.judge_pair(problem=problem, member_id=member_id, coach_id=coach_id)
    if not verdict.allowed:
        if not problems.shares_language(problem=problem, member_id=member_id, coach_id=coach_id):
            message = _("%(person)s cannot join %(coach)s's circle: they share no language.")
        elif problems.avoids(problem=problem, member_id=member_id, coach_id=coach_id):
            message = _("%(person)s cannot join %(coach)s's circle: %(person)s asked not to have this coach.")
        else:
            message = _(
                "%(person)s cannot join %(coach)s's circle: they are awake at the same time "
                "for less than %(hours)s hours a day."
            )
            names["hours"] = str(problem["rules"]["min_overlap_hours"])
        raise CircleRuleError(message % names, code="hard_rule")
    assignment = next(a for a in solution["assignments"] if a["member"] == member_id)
    assignment.update(coach=coach_id, score=verdict.score, reasons=list(verdict.reasons))


# --- publishing --------------------------------------------------------------------------------


def _first_name(coach: User | None) -> str:
    if coach is None:
        return _("Circle")
    return coach.first_name or coach.name.split()[0]


def circle_names(
    *, programme: Programme, circles: list[JsonDict], coaches: dict[int, User]
) -> dict[str, str]:
    """Each proposed circle's name once published: "<coach's first name> <n>", unique in the programme."""
    taken = set(Circle.objects.filter(programme=programme).values_list("name", flat=True))
    names: dict[str, str] = {}
    for circle in circles:
        first = _first_name(coaches.get(int(circle["coach"])))
        number = 1
        while f"{first} {number}" in taken:
            number += 1
        names[circle["key"]] = f"{first} {number}"
        taken.add(names[circle["key"]])
    return names


def _shared_language(coach: JsonDict, members: list[JsonDict]) -> str:
    """The coach's language that most of the circle speaks (the coach's own order breaks ties)."""
    languages: list[str] = coach["languages"]
    return max(
        languages, key=lambda code: (sum(code in m["languages"] for m in members), -languages.index(code))
    )


@dataclass(frozen=True)
class Meeting:
    weekday: int | None
    time: dt.time | None
    minutes: int


def meeting_for(*, window_utc: list[str] | None, overlap_hours: float, on: dt.date, zone: str) -> Meeting:
    """A weekly meeting on Tuesdays at the start of the circle's shared window, on the coach's clock."""
    if not window_utc:
        return Meeting(weekday=None, time=None, minutes=MEETING_MINUTES)
    start = dt.datetime.combine(on, dt.time.fromisoformat(window_utc[0]), tzinfo=dt.UTC)
    minutes = max(MIN_MEETING_MINUTES, min(MEETING_MINUTES, round(overlap_hours * 60)))
    return Meeting(weekday=MEETING_WEEKDAY, time=start.astimezone(ZoneInfo(zone)).time(), minutes=minutes)


@dataclass(frozen=True)
class Published:
    """What a publish did: the new circles, or nothing because the proposal was already published."""

    circles: list[Circle]
    already: bool


def _check_coach_seats(*, programme: Programme, circles: list[JsonDict], coaches: dict[int, User]) -> None:
    """Refuse when a coach got members since the proposal was made and the proposal would overfill them."""
    free = {seats.coach.pk: seats.free for seats in problems.coach_seats(programme=programme)}
    wanted: dict[int, int] = {}
    for circle in circles:
        wanted[int(circle["coach"])] = wanted.get(int(circle["coach"]), 0) + len(circle["members"])
    for coach_id, count in wanted.items():
        left = free.get(coach_id)
        if left is not None and count > left:
            raise CircleRuleError(
                _("%(coach)s now has room for %(room)d more members, fewer than the %(count)d proposed.")
                % {"coach": coaches[coach_id].name, "room": left, "count": count},
                code="coach_full",
            )


@transaction.atomic
def publish_proposal(*, proposal: MatchProposal, actor: User) -> Published:
    """Create the proposal's circles and seats through the services, all or nothing; people hear after commit.

    A proposal that is already published publishes nothing more. Any refusal (someone got a seat
    meanwhile, a coach left the programme) raises CircleRuleError naming the person and why, and
    leaves everything as it was.
    """
    locked = MatchProposal.objects.select_for_update().select_related("programme").get(pk=proposal.pk)
    if locked.status == Status.PUBLISHED:
        return Published(circles=[], already=True)
    if locked.status != Status.READY:
        raise CircleRuleError(_("Only a proposal that is ready can be published."), code="not_ready")
    programme, solution = locked.programme, locked.solution
    circles: list[JsonDict] = solution["circles"]
    ids = {int(c["coach"]) for c in circles} | {int(m) for c in circles for m in c["members"]}
    people = User.objects.in_bulk(list(ids))
    gone = ids - set(people)
    if gone:
        raise CircleRuleError(
            _("Nothing was published: someone in this proposal no longer has an account. Run it again."),
            code="gone",
        )
    # Coach profiles are locked so capacity cannot change under the check below.
    list(CoachProfile.objects.select_for_update().filter(user_id__in=[int(c["coach"]) for c in circles]))
    try:
        _check_coach_seats(programme=programme, circles=circles, coaches=people)
        created = _create_circles(proposal=locked, actor=actor, people=people)
    except CircleRuleError as error:
        raise CircleRuleError(
            _("Nothing was published. %(why)s") % {"why": str(error)}, code=error.code
        ) from error
    locked.status = Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.solution = {**solution, "published": {key: circle.pk for key, circle in created.items()}}
    locked.save(update_fields=["status", "published_at", "solution"])
    return Published(circles=list(created.values()), already=False)


def _create_circles(*, proposal: MatchProposal, actor: User, people: dict[int, User]) -> dict[str, Circle]:
    programme, problem = proposal.programme, proposal.problem
    circles: list[JsonDict] = proposal.solution["circles"]
    names = circle_names(programme=programme, circles=circles, coaches=people)
    on = dt.date.fromisoformat(problem["reference_date"])
    reason = _("matching proposal #%(number)d") % {"number": proposal.pk}
    created: dict[str, Circle] = {}
    for proposed in circles:
        coach = people[int(proposed["coach"])]
        coach_record = next(c for c in problem["coaches"] if c["id"] == proposed["coach"])
        member_records = [m for m in problem["members"] if m["id"] in proposed["members"]]
        meeting = meeting_for(
            window_utc=proposed["window_utc"],
            overlap_hours=proposed["overlap_hours"],
            on=on,
            zone=coach.timezone,
        )
        circle = services.create_circle(
            actor=actor,
            programme=programme,
            name=names[proposed["key"]],
            language=_shared_language(coach_record, member_records),
            capacity=max(programme.default_circle_size, len(proposed["members"]), 2),
            coach=coach,
            meeting_weekday=meeting.weekday,
            meeting_time=meeting.time,
            meeting_minutes=meeting.minutes,
            meeting_timezone=coach.timezone,
            status=Circle.Status.ACTIVE,
            source=AssignmentAudit.Source.MATCHING,
        )
        for member_id in proposed["members"]:
            services.assign_member(
                actor=actor,
                circle=circle,
                member=people[int(member_id)],
                reason=reason,
                source=AssignmentAudit.Source.MATCHING,
            )
        created[proposed["key"]] = circle
    return created


# --- the review page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedMember:
    """A member in a proposed circle: who, how well they fit, why, and the circle's hours on their clock."""

    id: str
    name: str
    timezone: str
    score_percent: int
    reasons: list[str]
    local_window: str
    local_now: str


@dataclass(frozen=True)
class ProposedCircle:
    key: str
    name: str
    coach_id: str
    coach_name: str
    members: list[ProposedMember]
    window_utc: str
    coach_window: str
    overlap_hours: float
    undersized: bool
    full: bool
    circle_id: int | None


@dataclass(frozen=True)
class CoachGroup:
    coach_id: str
    name: str
    timezone: str
    local_now: str
    given: int
    seats: int
    circles: list[ProposedCircle]


@dataclass(frozen=True)
class Unmatched:
    id: str
    name: str
    timezone: str
    reason: str


@dataclass(frozen=True)
class Review:
    """A proposal shaped for its page: circles grouped by coach, then the people left unmatched."""

    groups: list[CoachGroup]
    circles: list[ProposedCircle]
    unassigned: list[Unmatched]
    assigned: int
    moves: int


def _local_window(window_utc: list[str] | None, hours: float, *, on: dt.date, zone: str) -> str:
    if not window_utc:
        return ""
    start = dt.datetime.combine(on, dt.time.fromisoformat(window_utc[0]), tzinfo=dt.UTC).astimezone(
        ZoneInfo(zone)
    )
    end = start + dt.timedelta(minutes=round(hours * 60))
    return f"{start:%H:%M}–{end:%H:%M}"


def review(*, proposal: MatchProposal, now: dt.datetime | None = None) -> Review | None:
    """The proposal as its page shows it; None while it has no solution (running, failed)."""
    solution: JsonDict = proposal.solution
    if not solution:
        return None
    now = now or timezone.now()
    problem = proposal.problem
    on = dt.date.fromisoformat(problem["reference_date"])
    largest = problem["rules"]["circle_size"]["max"]
    coaches = {c["id"]: c for c in problem["coaches"]}
    members = {m["id"]: m for m in problem["members"]}
    ids = (
        {int(c) for c in coaches}
        | {int(m) for m in members}
        | {int(u["member"]) for u in solution["unassigned"]}
    )
    people = User.objects.in_bulk(list(ids))
    published: dict[str, int] = solution.get("published", {})
    if published:
        saved = dict(Circle.objects.filter(pk__in=published.values()).values_list("pk", "name"))
        names = {key: saved.get(circle_id, "") for key, circle_id in published.items()}
    else:
        names = circle_names(programme=proposal.programme, circles=solution["circles"], coaches=people)
    fit = {a["member"]: a for a in solution["assignments"]}

    def name(user_id: str) -> str:
        user = people.get(int(user_id))
        return user.name if user else _("someone who left")

    def zone(user_id: str) -> str:
        user = people.get(int(user_id))
        return user.timezone if user else "UTC"

    circles: list[ProposedCircle] = []
    for circle in solution["circles"]:
        window, hours = circle["window_utc"], circle["overlap_hours"]
        coach_record = coaches[circle["coach"]]
        circles.append(
            ProposedCircle(
                key=circle["key"],
                name=names.get(circle["key"], ""),
                coach_id=circle["coach"],
                coach_name=name(circle["coach"]),
                members=[
                    ProposedMember(
                        id=member_id,
                        name=name(member_id),
                        timezone=members[member_id]["timezone"],
                        score_percent=round(100 * fit[member_id]["score"]),
                        reasons=fit[member_id]["reasons"],
                        local_window=_local_window(window, hours, on=on, zone=members[member_id]["timezone"]),
                        local_now=local_clock(members[member_id]["timezone"], at=now).time,
                    )
                    for member_id in circle["members"]
                ],
                window_utc=f"{window[0]}–{window[1]}" if window else "",
                coach_window=_local_window(window, hours, on=on, zone=coach_record["timezone"]),
                overlap_hours=hours,
                undersized=circle["undersized"],
                full=len(circle["members"]) >= largest,
                circle_id=published.get(circle["key"]),
            )
        )
    groups = []
    for coach_id, record in coaches.items():
        own = [c for c in circles if c.coach_id == coach_id]
        given = sum(1 for a in solution["assignments"] if a["coach"] == coach_id)
        groups.append(
            CoachGroup(
                coach_id=coach_id,
                name=name(coach_id),
                timezone=record["timezone"],
                local_now=local_clock(record["timezone"], at=now).time,
                given=given,
                seats=record["capacity"],
                circles=own,
            )
        )
    unassigned = [
        Unmatched(id=u["member"], name=name(u["member"]), timezone=zone(u["member"]), reason=u["reason"])
        for u in solution["unassigned"]
    ]
    return Review(
        groups=[g for g in groups if g.circles],
        circles=circles,
        unassigned=unassigned,
        assigned=len(solution["assignments"]),
        moves=len(solution.get("moves", [])),
    )


@dataclass(frozen=True)
class MoveTarget:
    """A proposed circle a member could be moved to."""

    key: str
    name: str
    size: int
    full: bool


@dataclass(frozen=True)
class MoveChoice:
    """What the move form offers for one member: their circle, and the other circles by coach."""

    member_id: str
    member_name: str
    current: str
    coaches: list[tuple[str, list[MoveTarget]]]


def move_choice(*, proposal: MatchProposal, member_id: str) -> MoveChoice | None:
    """The circles a member of the proposal could move to, grouped by coach; None if not in its circles."""
    circles: list[JsonDict] = proposal.solution.get("circles", [])
    current = next((c for c in circles if member_id in c["members"]), None)
    if current is None:
        return None
    coaches = User.objects.in_bulk([int(c["coach"]) for c in circles])
    names = circle_names(programme=proposal.programme, circles=circles, coaches=coaches)
    largest = proposal.problem["rules"]["circle_size"]["max"]
    grouped: dict[str, list[MoveTarget]] = {}
    for circle in circles:
        if circle is current:
            continue
        coach = coaches.get(int(circle["coach"]))
        grouped.setdefault(coach.name if coach else _("someone who left"), []).append(
            MoveTarget(
                key=circle["key"],
                name=names[circle["key"]],
                size=len(circle["members"]),
                full=len(circle["members"]) >= largest,
            )
        )
    return MoveChoice(
        member_id=member_id,
        member_name=_name_of(member_id),
        current=names[current["key"]],
        coaches=sorted(grouped.items(), key=lambda item: item[0].lower()),
    )
