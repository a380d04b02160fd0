"""Reads about circles and programmes, shaped for the pages that show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import formats, timezone

from circles.access import administered_programmes
from circles.models import AssignmentAudit, Circle, Enrolment, Membership, Programme
from coaching.accounts.models import User
from coaching.accounts.zones import LocalClock, band_of, local_clock


@dataclass(frozen=True)
class Person:
    """Someone in a circle, with what their clock says right now."""

    user: User
    role: str
    clock: LocalClock
    charter_accepted: bool


@dataclass(frozen=True)
class CircleSummary:
    """A circle as one of its people sees it."""

    circle: Circle
    role: str
    coach: Person | None
    members: list[Person]
    charter_accepted: bool


def _people(seats: list[Membership], *, now: dt.datetime) -> tuple[Person | None, list[Person]]:
    people = [
        Person(
            user=s.user,
            role=s.role,
            clock=local_clock(s.user.timezone, at=now),
            charter_accepted=s.charter_accepted_at is not None,
        )
        for s in seats
    ]
    coach = next((p for p in people if p.role == Membership.Role.COACH), None)
    return coach, [p for p in people if p.role == Membership.Role.MEMBER]


def _active_seats() -> QuerySet[Membership]:
    return Membership.objects.current().select_related("user").order_by("joined_at", "id")


def circles_for(*, user: User, now: dt.datetime | None = None) -> list[CircleSummary]:
    """The circles this person sits in now (as coach or member), with everyone's local time."""
    now = now or timezone.now()
    seats = (
        Membership.objects.current()
        .filter(user=user)
        .select_related("circle", "circle__programme")
        .prefetch_related(Prefetch("circle__memberships", queryset=_active_seats(), to_attr="active_seats"))
        .order_by("circle__name")
    )
    summaries = []
    for seat in seats:
        coach, members = _people(seat.circle.active_seats, now=now)  # type: ignore[attr-defined]
        summaries.append(
            CircleSummary(
                circle=seat.circle,
                role=seat.role,
                coach=coach,
                members=members,
                charter_accepted=seat.charter_accepted_at is not None,
            )
        )
    return summaries


def last_closed_circle(*, user: User) -> Circle | None:
    """The circle this person sat in when it was closed (the latest such), to say so where it was."""
    seat = (
        Membership.objects.filter(
            user=user, circle__status=Circle.Status.CLOSED, left_at=F("circle__closed_at")
        )
        .select_related("circle")
        .order_by("-left_at")
        .first()
    )
    return seat.circle if seat is not None else None


def circle_people(*, circle: Circle, now: dt.datetime | None = None) -> tuple[Person | None, list[Person]]:
    """A circle's coach and members with their local times."""
    return _people(list(_active_seats().filter(circle=circle)), now=now or timezone.now())


def meeting_window(circle: Circle, *, zone: ZoneInfo, now: dt.datetime) -> str:
    """The weekly meeting as the reader sees it, e.g. "Tue 18:00–19:30" in their own zone; "" if unset."""
    start = circle.next_meeting(after=now)
    if start is None:
        return ""
    end = start + dt.timedelta(minutes=circle.meeting_minutes)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    return f"{formats.date_format(local_start, 'D')} {local_start:%H:%M}–{local_end:%H:%M}"


@dataclass(frozen=True)
class CircleRow:
    """One line of the programme dashboard's circle table."""

    circle: Circle
    coach: User | None
    members: list[User]
    window: str

    @property
    def fill_percent(self) -> int:
        return min(100, round(100 * len(self.members) / self.circle.capacity)) if self.circle.capacity else 0


def programme_circles(
    *, programme: Programme, zone: ZoneInfo, now: dt.datetime | None = None
) -> list[CircleRow]:
    """Every open circle of the programme with its fill, coach and meeting window in the reader's zone."""
    now = now or timezone.now()
    circles = (
        programme.circles.exclude(status=Circle.Status.CLOSED)
        .prefetch_related(Prefetch("memberships", queryset=_active_seats(), to_attr="active_seats"))
        .order_by("name")
    )
    rows = []
    for circle in circles:
        seats = circle.active_seats
        coach = next((s.user for s in seats if s.role == Membership.Role.COACH), None)
        members = [s.user for s in seats if s.role == Membership.Role.MEMBER]
        rows.append(
            CircleRow(
                circle=circle, coach=coach, members=members, window=meeting_window(circle, zone=zone, now=now)
            )
        )
    return rows


def unassigned_members(
    *,
    programme: Programme,
    language: str = "",
    band: str = "",
    focus: str = "",
    now: dt.datetime | None = None,
) -> list[User]:
    """Members enrolled in the programme with no active circle in it, filtered as the admin asked."""
    now = now or timezone.now()
    seated = Membership.objects.current().filter(circle__programme=programme).values("user_id")
    people = (
        User.objects.filter(enrolments__programme=programme, enrolments__role=Enrolment.Role.MEMBER)
        .exclude(pk__in=seated)
        .order_by("display_name", "username")
    )
    focus = focus.strip().lower()
    return [
        person
        for person in people
        if (not language or language in person.languages)
        and (not band or band_of(person.timezone, at=now) == band)
        and (not focus or any(focus in area.lower() for area in person.focus_areas))
    ]


def programme_coaches(*, programme: Programme) -> QuerySet[User]:
    """The people enrolled as coaches in the programme."""
    return User.objects.filter(
        enrolments__programme=programme, enrolments__role=Enrolment.Role.COACH
    ).order_by("display_name", "username")


def audit_entries(
    *,
    programme: Programme,
    action: str = "",
    person: str = "",
    circle_id: int | None = None,
) -> QuerySet[AssignmentAudit]:
    """The programme's assignment audit, newest first, filtered by action, person and circle."""
    entries = programme.audit.select_related("actor", "subject", "from_circle", "to_circle")
    if action:
        entries = entries.filter(action=action)
    if person:
        entries = entries.filter(
            Q(subject__username__icontains=person)
            | Q(subject__display_name__icontains=person)
            | Q(subject__email__icontains=person)
        )
    if circle_id:
        entries = entries.filter(Q(from_circle_id=circle_id) | Q(to_circle_id=circle_id))
    return entries


def programme_counts(*, programme: Programme) -> dict[str, int]:
    """Headline numbers for the dashboard."""
    enrolled = programme.enrolments.aggregate(
        members=Count("pk", filter=Q(role=Enrolment.Role.MEMBER)),
        coaches=Count("pk", filter=Q(role=Enrolment.Role.COACH)),
    )
    seated = (
        Membership.objects.members().filter(circle__programme=programme).values("user_id").distinct().count()
    )
    return {
        "members": enrolled["members"],
        "coaches": enrolled["coaches"],
        "seated": seated,
        "unassigned": enrolled["members"] - seated,
    }


@dataclass(frozen=True)
class ProgrammeOverview:
    """A programme as its admin's home page shows it: the headline numbers that say what to do next."""

    programme: Programme
    circles: int
    counts: dict[str, int]


def programmes_overview(*, user: User) -> list[ProgrammeOverview]:
    """The programmes this person runs, by name, each with its circle count and headline numbers."""
    programmes = administered_programmes(user=user).annotate(circle_count=Count("circles")).order_by("name")
    return [
        ProgrammeOverview(
            programme=programme,
            circles=programme.circle_count,
            counts=programme_counts(programme=programme),
        )
        for programme in programmes
    ]
