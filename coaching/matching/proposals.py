"""Matching proposals: start one, review it (with the admin's moves), drop, re-run, publish.

The engine runs in the worker (coaching.matching.tasks). Publishing writes circles and seats only
through circles.services, with source "matching", in one transaction: all of it or none of it. New
circles are created; newcomers proposed into an existing circle take a seat there (the same seat,
notice and charter as in a new one).

Every circle's issues come from the engine's one rule (engine.rules.circle_issues, through
problems.judge_circle) and are worded by coaching.matching.issues. Publishing a proposal with any
warning, and a move that makes a circle break a rule it did not break before, need the admin's
explicit confirmation: a token of exactly the warnings they were shown, posted back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from circles import services
from circles.errors import CircleRuleError
from circles.models import AssignmentAudit, Circle, CoachProfile, MatchProposal, Programme
from circles.selectors import unassigned_members
from coaching.accounts.models import User
from coaching.accounts.zones import local_clock
from coaching.matching import issues, problems, tasks
from coaching.matching.problems import JsonDict

Status = MatchProposal.Status
MEETING_WEEKDAY = Circle.Weekday.TUESDAY
MEETING_MINUTES = 90
MIN_MEETING_MINUTES = 15


def start_proposal(*, programme: Programme, actor: User) -> MatchProposal:
    """Create a running proposal for the programme; the engine starts in the worker after commit.

    Refused (CircleRuleError "nobody_waiting", nothing created) when no member is waiting for a circle.
    """
    if not unassigned_members(programme=programme):
        raise CircleRuleError(
            _("Nobody in this programme is waiting for a circle, so there is nothing to propose."),
            code="nobody_waiting",
        )
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


def _namer(ids: Iterable[str]) -> Callable[[str], str]:
    """A name for each of these user ids, looked up at once."""
    people = User.objects.in_bulk([int(i) for i in ids])

    def name(user_id: str) -> str:
        user = people.get(int(user_id))
        return user.name if user else _("someone who left")

    return name


def _locked_ready(proposal: MatchProposal) -> MatchProposal:
    locked = MatchProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != Status.READY:
        raise CircleRuleError(
            _("This proposal is %(status)s, so it can no longer be changed.")
            % {"status": locked.get_status_display()},
            code="not_ready",
        )
    return locked


def _room(problem: JsonDict, circle: JsonDict) -> int:
    """The most members a proposed circle may hold: an existing circle's seats, else the programme's size."""
    if circle.get("existing"):
        found = next((c for c in problem.get("circles", []) if c["id"] == circle["existing"]), None)
        if found is not None:
            return int(found["capacity"])
    return int(problem["rules"]["circle_size"]["max"])


@dataclass(frozen=True)
class CircleWarnings:
    """A circle's warnings under its name (as published, or as it would be after a move)."""

    key: str
    name: str
    warnings: list[issues.Warning]


@dataclass(frozen=True)
class MovePreview:
    """What a move would newly break, shown before it is saved; `token` confirms exactly this."""

    member_id: str
    member_name: str
    to_circle: str
    circles: list[CircleWarnings]
    token: str

    @property
    def hard(self) -> bool:
        return any(w.hard for c in self.circles for w in c.warnings)


class MoveNeedsConfirmation(CircleRuleError):
    """The move would make a circle break a rule: nothing was saved; the admin sees why and may confirm."""

    def __init__(self, preview: MovePreview) -> None:
        super().__init__(_("This move needs your confirmation."), code="confirm_move")
        self.preview = preview


def _new_issues(before: list[JsonDict], after: list[JsonDict]) -> list[JsonDict]:
    """Issues after a change that were not there before (same code about the same people)."""
    seen = {(i["code"], tuple(sorted(i.get("people") or []))) for i in before}
    return [i for i in after if (i["code"], tuple(sorted(i.get("people") or []))) not in seen]


def _after_move(
    problem: JsonDict,
    circle: JsonDict,
    *,
    add: str = "",
    remove: str = "",
    people: dict[str, JsonDict] | None = None,
) -> JsonDict:
    """A copy of the proposed circle with one newcomer added or removed, judged by the one rule."""
    members = [m for m in circle["members"] if m != remove] + ([add] if add else [])
    changed = {**circle, "members": members}
    if problems.circle_people(changed):
        problems.refresh_circle(problem, changed, people)
    return changed


@transaction.atomic
def move_in_proposal(*, proposal: MatchProposal, member_id: str, to_circle: str, confirm: str = "") -> str:
    """Move a member to another proposed circle; returns what was done.

    Nothing changes when the member or circle is not in this proposal, the circle is full, the new
    coach has no room or is one the member asked not to have. A move that would make either circle
    break a rule it did not break before (engine.rules: a language for everyone, the shared window,
    the size, someone far from the rest) raises MoveNeedsConfirmation with those issues, and is saved
    only when posted again with its `token` as `confirm`: the admin has then seen them.
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
    room = _room(problem, target)
    if len(problems.circle_people(target)) >= room:
        raise CircleRuleError(
            _("That circle is full (%(count)d members, as many as it may hold).") % {"count": room},
            code="circle_full",
        )
    if target["coach"] != source["coach"]:
        _check_new_coach(problem=problem, solution=solution, member_id=member_id, coach_id=target["coach"])
    moved_source = _after_move(problem, source, remove=member_id)
    moved_target = _after_move(problem, target, add=member_id)
    preview = _move_preview(
        proposal=locked,
        member_id=member_id,
        to_circle=to_circle,
        pairs=[(target, moved_target), (source, moved_source)],
    )
    if preview.circles and confirm != preview.token:
        raise MoveNeedsConfirmation(preview)
    if target["coach"] != source["coach"]:
        _give_new_fit(problem=problem, solution=solution, member_id=member_id, coach_id=target["coach"])
    source.update(moved_source)
    target.update(moved_target)
    # A new circle left empty goes; an existing one stays, its free seats still on offer.
    solution["circles"] = [c for c in circles if c["members"] or c.get("existing")]
    solution["moves"] = [
        *solution.get("moves", []),
        {
            "member": member_id,
            "from": source["key"],
            "to": target["key"],
            "at": timezone.now().isoformat(),
            "confirmed": [w.code for c in preview.circles for w in c.warnings],
        },
    ]
    locked.save(update_fields=["solution"])
    label = _circle_names(locked, solution["circles"])[target["key"]]
    return _("%(person)s moved to %(circle)s.") % {"person": person, "circle": label}


def _circle_names(proposal: MatchProposal, circles: list[JsonDict]) -> dict[str, str]:
    coaches = User.objects.in_bulk([int(c["coach"]) for c in circles])
    return circle_names(programme=proposal.programme, circles=circles, coaches=coaches)


def _move_preview(
    *, proposal: MatchProposal, member_id: str, to_circle: str, pairs: list[tuple[JsonDict, JsonDict]]
) -> MovePreview:
    """The issues each (before, after) circle of a move would newly have; a circle left empty has none."""
    problem = proposal.problem
    names = _circle_names(proposal, proposal.solution["circles"])
    new = [(after, _new_issues(before.get("issues", []), after.get("issues", []))) for before, after in pairs]
    new = [(after, found) for after, found in new if found and after["members"]]
    name = _namer({p for _after, found in new for i in found for p in i.get("people") or []} | {member_id})
    circles = [
        CircleWarnings(
            key=after["key"],
            name=names.get(after["key"], ""),
            warnings=issues.warnings(
                found, rules=problem["rules"], size=len(problems.circle_people(after)), name=name
            ),
        )
        for after, found in new
    ]
    token = issues.digest([member_id, to_circle, [[after["key"], found] for after, found in new]])
    return MovePreview(
        member_id=member_id, member_name=name(member_id), to_circle=to_circle, circles=circles, token=token
    )


def _check_new_coach(*, problem: JsonDict, solution: JsonDict, member_id: str, coach_id: str) -> None:
    """Refuse a new coach who is full, or whom the member asked not to have."""
    coach = next(c for c in problem["coaches"] if c["id"] == coach_id)
    given = sum(1 for a in solution["assignments"] if a["coach"] == coach_id)
    names = {"person": _name_of(member_id), "coach": _name_of(coach_id)}
    if given >= coach["capacity"]:
        raise CircleRuleError(
            _("%(coach)s has no room for another member in this programme.") % names, code="coach_full"
        )
    if problems.avoids(problem=problem, member_id=member_id, coach_id=coach_id):
        raise CircleRuleError(
            _("%(person)s cannot join %(coach)s's circle: %(person)s asked not to have this coach.") % names,
            code="avoided",
        )


def _give_new_fit(*, problem: JsonDict, solution: JsonDict, member_id: str, coach_id: str) -> None:
    """The member's fit with their new coach; none when the engine would not pair them (a confirmed move)."""
    verdict = problems.judge_pair(problem=problem, member_id=member_id, coach_id=coach_id)
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
    """Each proposed circle's name: an existing circle's own, else "<coach's first name> <n>", unique."""
    existing = {
        problems.circle_ref(pk): name
        for pk, name in Circle.objects.filter(programme=programme).values_list("pk", "name")
    }
    taken = set(existing.values())
    names: dict[str, str] = {}
    for circle in circles:
        if circle.get("existing"):
            names[circle["key"]] = existing.get(circle["existing"], _("a circle that was closed"))
            continue
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


def meeting_for(
    *,
    window_utc: list[str] | None,
    overlap_hours: float,
    on: dt.date,
    zone: str,
    weekday_utc: int | None = None,
) -> Meeting:
    """A weekly meeting at the start of the circle's shared window, on the coach's clock.

    On the window's own day when it comes from availability windows (`weekday_utc`, UTC), else Tuesdays.
    """
    if not window_utc:
        return Meeting(weekday=None, time=None, minutes=MEETING_MINUTES)
    day = on if weekday_utc is None else on + dt.timedelta(days=(weekday_utc - on.weekday()) % 7)
    start = dt.datetime.combine(day, dt.time.fromisoformat(window_utc[0]), tzinfo=dt.UTC)
    local = start.astimezone(ZoneInfo(zone))
    minutes = max(MIN_MEETING_MINUTES, min(MEETING_MINUTES, round(overlap_hours * 60)))
    weekday = MEETING_WEEKDAY if weekday_utc is None else local.weekday()
    return Meeting(weekday=weekday, time=local.time(), minutes=minutes)


@dataclass(frozen=True)
class Published:
    """What a publish did: new circles and newcomers seated in existing ones, or nothing (already done)."""

    circles: list[Circle]
    already: bool
    joined: int = 0


def publish_warnings(*, proposal: MatchProposal) -> tuple[list[CircleWarnings], str]:
    """Every warning of the circles publishing would create or add to, and the token that confirms them."""
    problem, circles = proposal.problem, proposal.solution.get("circles", [])
    changing = [c for c in circles if c["members"] and c.get("issues")]
    if not changing:
        return [], ""
    name = _namer({p for c in changing for i in c["issues"] for p in i.get("people") or []})
    names = _circle_names(proposal, circles)
    found = [
        CircleWarnings(
            key=c["key"],
            name=names.get(c["key"], ""),
            warnings=issues.warnings(
                c["issues"], rules=problem["rules"], size=len(problems.circle_people(c)), name=name
            ),
        )
        for c in changing
    ]
    return found, issues.digest([[c["key"], c["issues"]] for c in changing])


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
                ngettext(
                    "%(coach)s now has room for %(room)d more member, fewer than the %(count)d proposed.",
                    "%(coach)s now has room for %(room)d more members, fewer than the %(count)d proposed.",
                    left,
                )
                % {"coach": coaches[coach_id].name, "room": left, "count": count},
                code="coach_full",
            )


@transaction.atomic
def publish_proposal(*, proposal: MatchProposal, actor: User, confirm: str = "") -> Published:
    """Create the proposal's new circles and seat newcomers in existing ones, all or nothing.

    People hear after commit (from the services that seat them). A proposal that is already published
    publishes nothing more. When any circle has warnings (publish_warnings), nothing is published
    unless `confirm` is the token of exactly those warnings: the admin saw them and chose to go on.
    Any refusal (someone got a seat meanwhile, a coach left the programme, a circle closed) raises
    CircleRuleError naming the person and why, and leaves everything as it was.
    """
    locked = MatchProposal.objects.select_for_update().select_related("programme").get(pk=proposal.pk)
    if locked.status == Status.PUBLISHED:
        return Published(circles=[], already=True)
    if locked.status != Status.READY:
        raise CircleRuleError(_("Only a proposal that is ready can be published."), code="not_ready")
    found, token = publish_warnings(proposal=locked)
    if found and confirm != token:
        count = sum(len(c.warnings) for c in found)
        message = (
            _("Nothing was published: the warnings changed since you read them. Read them again and confirm.")
            if confirm
            else ngettext(
                "Nothing was published: this proposal has %(count)d warning. Read it, then confirm.",
                "Nothing was published: this proposal has %(count)d warnings. Read them, then confirm.",
                count,
            )
            % {"count": count}
        )
        raise CircleRuleError(message, code="confirm_warnings")
    programme, solution = locked.programme, locked.solution
    circles: list[JsonDict] = [c for c in solution["circles"] if c["members"]]
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
        created, joined = _seat_everyone(proposal=locked, circles=circles, actor=actor, people=people)
    except CircleRuleError as error:
        raise CircleRuleError(
            _("Nothing was published. %(why)s") % {"why": str(error)}, code=error.code
        ) from error
    locked.status = Status.PUBLISHED
    locked.published_at = timezone.now()
    published = {key: circle.pk for key, circle in [*created.items(), *joined.items()]}
    locked.solution = {**solution, "published": published}
    locked.save(update_fields=["status", "published_at", "solution"])
    newcomers = sum(len(c["members"]) for c in circles if c["key"] in joined)
    return Published(circles=list(created.values()), already=False, joined=newcomers)


def _existing_circle(*, programme: Programme, ref: str) -> Circle:
    """The open circle of this programme a proposal seats newcomers in; refused if it closed or went."""
    circle = Circle.objects.filter(programme=programme, pk=problems.circle_pk(ref) or 0).first()
    if circle is None or circle.status == Circle.Status.CLOSED:
        raise CircleRuleError(
            _("A circle of this proposal was closed or deleted since it was made. Run it again."),
            code="circle_closed",
        )
    return circle


def _seat_everyone(
    *, proposal: MatchProposal, circles: list[JsonDict], actor: User, people: dict[int, User]
) -> tuple[dict[str, Circle], dict[str, Circle]]:
    """Create the new circles and seat every newcomer, in new and existing circles: (created, joined)."""
    programme = proposal.programme
    names = circle_names(programme=programme, circles=circles, coaches=people)
    reason = _("matching proposal #%(number)d") % {"number": proposal.pk}
    created: dict[str, Circle] = {}
    joined: dict[str, Circle] = {}
    for proposed in circles:
        if proposed.get("existing"):
            circle = _existing_circle(programme=programme, ref=proposed["existing"])
            joined[proposed["key"]] = circle
        else:
            circle = _create_circle(
                proposed, proposal=proposal, actor=actor, people=people, name=names[proposed["key"]]
            )
            created[proposed["key"]] = circle
        for member_id in proposed["members"]:
            services.assign_member(
                actor=actor,
                circle=circle,
                member=people[int(member_id)],
                reason=reason,
                source=AssignmentAudit.Source.MATCHING,
            )
    return created, joined


def _create_circle(
    proposed: JsonDict, *, proposal: MatchProposal, actor: User, people: dict[int, User], name: str
) -> Circle:
    """A new circle for a proposed one: its coach, language, and a weekly meeting in its shared window."""
    programme, problem = proposal.programme, proposal.problem
    on = dt.date.fromisoformat(problem["reference_date"])
    coach = people[int(proposed["coach"])]
    meeting = meeting_for(
        window_utc=proposed["window_utc"],
        overlap_hours=proposed["overlap_hours"],
        on=on,
        zone=coach.timezone,
        weekday_utc=proposed.get("window_weekday_utc"),
    )
    language = proposed.get("language")
    if not language:
        # Only an admin's confirmed move makes a circle without a common language: the most spoken one.
        records = problems.records(problem)
        language = _shared_language(records[proposed["coach"]], [records[m] for m in proposed["members"]])
    return services.create_circle(
        actor=actor,
        programme=programme,
        name=name,
        language=language,
        capacity=max(programme.default_circle_size, len(proposed["members"]), 2),
        coach=coach,
        meeting_weekday=meeting.weekday,
        meeting_time=meeting.time,
        meeting_minutes=meeting.minutes,
        meeting_timezone=coach.timezone,
        status=Circle.Status.ACTIVE,
        source=AssignmentAudit.Source.MATCHING,
    )


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
class Clock:
    """The circle's shared window on one person's clock (the review's toggle lists everyone's)."""

    name: str
    role: str
    timezone: str
    window: str


@dataclass(frozen=True)
class ProposedCircle:
    """A proposed circle as the review shows it; `window` is on the viewing admin's clock."""

    key: str
    name: str
    coach_id: str
    coach_name: str
    existing: bool
    seated: list[str]
    members: list[ProposedMember]
    language: str | None
    window: str
    window_utc: str
    overlap_hours: float
    clocks: list[Clock]
    warnings: list[issues.Warning]
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
    """A proposal shaped for its page: circles grouped by coach, the people left unmatched, the warnings.

    `warnings` lists every circle publishing would create or add to that has issues; `confirm_token`
    is what the publish form posts back to confirm exactly those.
    """

    groups: list[CoachGroup]
    circles: list[ProposedCircle]
    unassigned: list[Unmatched]
    assigned: int
    moves: int
    new_circles: int
    joined_circles: int
    movable: bool
    zone: str
    warnings: list[CircleWarnings]
    confirm_token: str


def _local_window(
    window_utc: list[str] | None, hours: float, *, on: dt.date, zone: str, weekday_utc: int | None = None
) -> str:
    """The window on a zone's clock in the reader's format, "18:00–20:00", with its day ("Tue 18:00–20:00")
    when it has one."""
    if not window_utc:
        return ""
    day = on if weekday_utc is None else on + dt.timedelta(days=(weekday_utc - on.weekday()) % 7)
    start = dt.datetime.combine(day, dt.time.fromisoformat(window_utc[0]), tzinfo=dt.UTC).astimezone(
        ZoneInfo(zone)
    )
    end = start + dt.timedelta(minutes=round(hours * 60))
    text = f"{formats.time_format(start)}–{formats.time_format(end)}"
    return text if weekday_utc is None else f"{formats.date_format(start, 'D')} {text}"


def review(*, proposal: MatchProposal, zone: str = "UTC", now: dt.datetime | None = None) -> Review | None:
    """The proposal as its page shows it to an admin in `zone`; None while it has no solution."""
    solution: JsonDict = proposal.solution
    if not solution:
        return None
    now = now or timezone.now()
    problem = proposal.problem
    on = dt.date.fromisoformat(problem["reference_date"])
    rules = problem["rules"]
    coaches = {c["id"]: c for c in problem["coaches"]}
    people_records = problems.records(problem)
    ids = {int(p) for p in people_records} | {int(u["member"]) for u in solution["unassigned"]}
    people = User.objects.in_bulk(list(ids))
    published: dict[str, int] = solution.get("published", {})
    if published:
        saved = dict(Circle.objects.filter(pk__in=published.values()).values_list("pk", "name"))
        names = {key: saved.get(circle_id, "") for key, circle_id in published.items()}
        names = {
            **circle_names(programme=proposal.programme, circles=solution["circles"], coaches=people),
            **names,
        }
    else:
        names = circle_names(programme=proposal.programme, circles=solution["circles"], coaches=people)
    fit = {a["member"]: a for a in solution["assignments"]}

    def name(user_id: str) -> str:
        user = people.get(int(user_id))
        return user.name if user else _("someone who left")

    def zone_of(user_id: str) -> str:
        record = people_records.get(user_id)
        if record:
            return str(record["timezone"])
        user = people.get(int(user_id))
        return user.timezone if user else "UTC"

    circles: list[ProposedCircle] = []
    for circle in solution["circles"]:
        if not circle["members"]:
            continue  # an open circle nobody joins: only a move target
        window, hours, weekday = (
            circle["window_utc"],
            circle["overlap_hours"],
            circle.get("window_weekday_utc"),
        )

        local = partial(_local_window, window, hours, on=on, weekday_utc=weekday)

        everyone = problems.circle_people(circle)
        clocks = [
            Clock(
                name(circle["coach"]), "coach", zone_of(circle["coach"]), local(zone=zone_of(circle["coach"]))
            )
        ]
        clocks += [Clock(name(p), "member", zone_of(p), local(zone=zone_of(p))) for p in everyone]
        circle_warnings = issues.warnings(
            circle.get("issues", []), rules=rules, size=len(everyone), name=name
        )
        circles.append(
            ProposedCircle(
                key=circle["key"],
                name=names.get(circle["key"], ""),
                coach_id=circle["coach"],
                coach_name=name(circle["coach"]),
                existing=bool(circle.get("existing")),
                seated=[name(p) for p in circle.get("seated", [])],
                members=[
                    ProposedMember(
                        id=member_id,
                        name=name(member_id),
                        timezone=zone_of(member_id),
                        score_percent=round(100 * fit[member_id]["score"]),
                        reasons=fit[member_id]["reasons"],
                        local_window=local(zone=zone_of(member_id)),
                        local_now=local_clock(zone_of(member_id), at=now).time,
                    )
                    for member_id in circle["members"]
                ],
                language=circle.get("language"),
                window=local(zone=zone),
                window_utc=f"{window[0]}–{window[1]}" if window else "",
                overlap_hours=hours,
                clocks=clocks,
                warnings=circle_warnings,
                undersized=any(w.code == "too_small" for w in circle_warnings),
                full=len(everyone) >= _room(problem, circle),
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
        Unmatched(
            id=u["member"],
            name=name(u["member"]),
            timezone=zone_of(u["member"]),
            reason=issues.reason_text(u["reason"], record=people_records.get(u["member"]), rules=rules),
        )
        for u in solution["unassigned"]
    ]
    found, token = publish_warnings(proposal=proposal)
    return Review(
        groups=[g for g in groups if g.circles],
        circles=circles,
        unassigned=unassigned,
        assigned=len(solution["assignments"]),
        moves=len(solution.get("moves", [])),
        new_circles=sum(1 for c in circles if not c.existing),
        joined_circles=sum(1 for c in circles if c.existing),
        movable=len(solution["circles"]) > 1,
        zone=zone,
        warnings=found,
        confirm_token=token,
    )


@dataclass(frozen=True)
class MoveTarget:
    """A proposed circle a member could be moved to, and what it would newly break with them in it."""

    key: str
    name: str
    size: int
    full: bool
    would: list[str]


@dataclass(frozen=True)
class MoveChoice:
    """What the move form offers for one member: their circle, and the other circles by coach."""

    member_id: str
    member_name: str
    current: str
    coaches: list[tuple[str, list[MoveTarget]]]


SHORT_LABELS = {
    "no_shared_language": gettext_lazy("no shared language"),
    "window_short": gettext_lazy("shared window too short"),
    "too_large": gettext_lazy("too large"),
    "too_small": gettext_lazy("small"),
    "far_from_everyone": gettext_lazy("someone far from the rest"),
}


def move_choice(*, proposal: MatchProposal, member_id: str) -> MoveChoice | None:
    """The circles a member of the proposal could move to, grouped by coach, each with what it would break.

    Open circles nobody joined yet are offered too. A target's `would` names (briefly) the issues it
    would newly have with this member; the move itself shows them in full and asks for confirmation.
    """
    problem = proposal.problem
    circles: list[JsonDict] = proposal.solution.get("circles", [])
    current = next((c for c in circles if member_id in c["members"]), None)
    if current is None:
        return None
    coaches = User.objects.in_bulk([int(c["coach"]) for c in circles])
    names = circle_names(programme=proposal.programme, circles=circles, coaches=coaches)
    grouped: dict[str, list[MoveTarget]] = {}
    people = problems.records(problem)  # once: every target is judged against the same problem
    for circle in circles:
        if circle is current:
            continue
        coach = coaches.get(int(circle["coach"]))
        size = len(problems.circle_people(circle))
        full = size >= _room(problem, circle)
        would = []
        if not full:
            after = _after_move(problem, circle, add=member_id, people=people)
            would = _new_issues(circle.get("issues", []), after["issues"])
        grouped.setdefault(coach.name if coach else _("someone who left"), []).append(
            MoveTarget(
                key=circle["key"],
                name=names[circle["key"]],
                size=size,
                full=full,
                would=[str(SHORT_LABELS.get(i["code"], i["code"])) for i in would],
            )
        )
    return MoveChoice(
        member_id=member_id,
        member_name=_name_of(member_id),
        current=names[current["key"]],
        coaches=sorted(grouped.items(), key=lambda item: item[0].lower()),
    )
