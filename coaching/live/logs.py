"""Session logs: the coach's notes, attendance corrections and members' commitments, and reads of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.access import is_coach_of
from circles.models import Membership
from coaching.accounts.models import User
from coaching.lib.markdown import render
from coaching.live.errors import SessionRuleError
from coaching.live.models import Attendance, Commitment, LiveSession, SessionLog

MAX_NOTES = 20_000
MAX_COMMITMENT = 500
MAX_NOTE = 300
MAX_CLOSE_NOTE = 500
MAX_COMMITMENTS_AT_ONCE = 30


@dataclass(frozen=True)
class CommitmentDraft:
    """One commitment the coach is about to record."""

    member: User
    text: str
    due_on: dt.date


@dataclass(frozen=True)
class AttendanceLine:
    """One person on the attendance sheet: their recorded attendance, if the room wrote one."""

    person: User
    attendance: Attendance | None
    is_member: bool

    @property
    def present(self) -> bool:
        return self.attendance is not None and self.attendance.present


def log_is_open(session: LiveSession, *, now: dt.datetime | None = None) -> bool:
    """A log is written once the session is live or over (or its start time has passed)."""
    now = now or timezone.now()
    if session.status == LiveSession.Status.CANCELLED:
        return False
    return session.status != LiveSession.Status.SCHEDULED or session.starts_at <= now


def _check_coach(coach: User, session: LiveSession) -> None:
    if not is_coach_of(user=coach, circle_id=session.circle_id):
        raise SessionRuleError(_("Only the circle's coach can write the session log."), code="forbidden")
    if not log_is_open(session):
        raise SessionRuleError(
            _("The log opens when the session starts; this one has not started yet."), code="not_started"
        )


def circle_members(*, session: LiveSession) -> QuerySet[User]:
    """The current members (not the coach) of the session's circle, by name."""
    seats = Membership.objects.members().filter(circle_id=session.circle_id)
    return User.objects.filter(pk__in=seats.values("user_id")).order_by("display_name", "username")


@transaction.atomic
def write_log(*, coach: User, session: LiveSession, notes: str) -> SessionLog:
    """Create or replace the session's notes; the markdown is stored rendered and sanitised like chat."""
    _check_coach(coach, session)
    notes = notes.strip()
    if len(notes) > MAX_NOTES:
        raise SessionRuleError(
            _("Notes can be at most %(max)d characters.") % {"max": MAX_NOTES}, code="notes_too_long"
        )
    seats = Membership.objects.current().filter(circle_id=session.circle_id)
    people = User.objects.filter(pk__in=seats.values("user_id")).values_list("username", flat=True)
    html = render(notes, people=list(people)).html if notes else ""
    log, _created = SessionLog.objects.update_or_create(
        session=session, defaults={"notes": notes, "notes_html": html, "written_by": coach}
    )
    return log


@transaction.atomic
def correct_attendance(
    *, coach: User, session: LiveSession, person: User, present: bool, note: str = ""
) -> Attendance:
    """Mark someone present or absent with a note; the row remembers the coach corrected it."""
    _check_coach(coach, session)
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise SessionRuleError(
            _("A note can be at most %(max)d characters.") % {"max": MAX_NOTE}, code="bad_note"
        )
    attendance = Attendance.objects.select_for_update().filter(session=session, user=person).first()
    if attendance is None:
        if not circle_members(session=session).filter(pk=person.pk).exists():
            raise SessionRuleError(_("That person is not in this circle."), code="not_a_member")
        attendance = Attendance(session=session, user=person)
    attendance.present = present
    attendance.note = note
    attendance.corrected_by = coach
    attendance.save()
    return attendance


@transaction.atomic
def add_commitments(
    *, coach: User, session: LiveSession, drafts: Sequence[CommitmentDraft]
) -> list[Commitment]:
    """Record commitments for members of the session's circle, due on or after the session's day."""
    _check_coach(coach, session)
    if len(drafts) > MAX_COMMITMENTS_AT_ONCE:
        raise SessionRuleError(
            _("Add at most %(max)d commitments at once.") % {"max": MAX_COMMITMENTS_AT_ONCE}, code="too_many"
        )
    members = set(circle_members(session=session).values_list("pk", flat=True))
    session_day = session.starts_at.astimezone(ZoneInfo(session.timezone)).date()
    commitments = []
    for draft in drafts:
        text = draft.text.strip()
        if draft.member.pk not in members:
            raise SessionRuleError(
                _("%(name)s is not a member of this circle.") % {"name": draft.member.name},
                code="not_a_member",
            )
        if not text or len(text) > MAX_COMMITMENT:
            raise SessionRuleError(
                _("A commitment needs 1 to %(max)d characters.") % {"max": MAX_COMMITMENT}, code="bad_text"
            )
        if draft.due_on < session_day:
            raise SessionRuleError(
                _("A commitment is due after the session, not before it."), code="due_before_session"
            )
        commitments.append(
            Commitment(
                member=draft.member,
                circle_id=session.circle_id,
                session=session,
                text=text,
                due_on=draft.due_on,
                created_by=coach,
            )
        )
    return Commitment.objects.bulk_create(commitments)


@transaction.atomic
def close_commitment(*, member: User, commitment: Commitment, status: str, note: str) -> Commitment:
    """The one rule for closing a commitment, on every page: its member, done or dropped, with a note."""
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.member_id != member.pk:
        raise SessionRuleError(_("Only the member can close their own commitment."), code="forbidden")
    if status not in (Commitment.Status.DONE, Commitment.Status.DROPPED):
        raise SessionRuleError(_("A commitment is closed as done or dropped."), code="bad_status")
    if commitment.status != Commitment.Status.OPEN:
        raise SessionRuleError(_("This commitment is already closed."), code="already_closed")
    note = note.strip()
    if not note:
        # How it went is what the coach and the progress charts read later; "done" alone says little.
        raise SessionRuleError(_("Add a short note on how it went."), code="note_required")
    if len(note) > MAX_CLOSE_NOTE:
        raise SessionRuleError(
            _("A note can be at most %(max)d characters.") % {"max": MAX_CLOSE_NOTE}, code="bad_note"
        )
    commitment.status = status
    commitment.close_note = note
    commitment.closed_at = timezone.now()
    commitment.save(update_fields=["status", "close_note", "closed_at"])
    return commitment


def _with_overdue(commitments: QuerySet[Commitment], today: dt.date) -> QuerySet[Commitment]:
    overdue = Q(status=Commitment.Status.OPEN, due_on__lt=today)
    return commitments.annotate(overdue=ExpressionWrapper(overdue, output_field=BooleanField()))


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()  # the reader's zone, activated for each request


def open_commitments(*, member: User, today: dt.date | None = None) -> list[Commitment]:
    """The member's open commitments, soonest due first; each has `overdue`."""
    mine = Commitment.objects.filter(member=member, status=Commitment.Status.OPEN).select_related("circle")
    return list(_with_overdue(mine, _today(today)).order_by("due_on", "id"))


def commitments_of(*, member: User, today: dt.date | None = None) -> list[Commitment]:
    """All the member's commitments: open ones first (soonest due first), then closed ones, latest first."""
    closed = Commitment.objects.filter(member=member).exclude(status=Commitment.Status.OPEN)
    return open_commitments(member=member, today=today) + list(
        _with_overdue(closed.select_related("circle"), _today(today)).order_by("-closed_at", "-id")
    )


def coached_open_commitments(*, coach: User, today: dt.date | None = None) -> list[Commitment]:
    """Open commitments of the members of the circles this person coaches now; each has `overdue`."""
    circles = Membership.objects.coaches().filter(user=coach).values("circle_id")
    theirs = Commitment.objects.filter(circle_id__in=circles, status=Commitment.Status.OPEN).select_related(
        "member", "circle"
    )
    return list(_with_overdue(theirs, _today(today)).order_by("due_on", "id"))


def home_commitments(
    *, user: User, today: dt.date | None = None
) -> tuple[list[Commitment], list[Commitment]]:
    """In one query: the person's open commitments, and the overdue ones of the members they coach."""
    coached = Membership.objects.coaches().filter(user=user).values("circle_id")
    today = _today(today)
    both = Commitment.objects.filter(
        Q(member=user) | Q(circle_id__in=coached, due_on__lt=today), status=Commitment.Status.OPEN
    ).select_related("member", "circle")
    rows = list(_with_overdue(both, today).order_by("due_on", "id"))
    return [c for c in rows if c.member_id == user.pk], [c for c in rows if c.member_id != user.pk]


def session_commitments(*, session: LiveSession, today: dt.date | None = None) -> list[Commitment]:
    """Every commitment recorded in this session, by member."""
    recorded = Commitment.objects.filter(session=session).select_related("member")
    return list(
        _with_overdue(recorded, _today(today)).order_by("member__display_name", "member__username", "id")
    )


def last_ended_session(session: LiveSession) -> LiveSession | None:
    """The circle's most recent session that ended before this one started."""
    return (
        LiveSession.objects.filter(
            circle_id=session.circle_id, status=LiveSession.Status.ENDED, starts_at__lt=session.starts_at
        )
        .exclude(pk=session.pk)
        .order_by("-starts_at")
        .first()
    )


def open_commitments_from_last_session(
    session: LiveSession, *, today: dt.date | None = None
) -> list[Commitment]:
    """What members committed to in the circle's last ended session and is still open; each has `overdue`."""
    last = last_ended_session(session)
    if last is None:
        return []
    still_open = Commitment.objects.filter(session=last, status=Commitment.Status.OPEN).select_related(
        "member"
    )
    return list(
        _with_overdue(still_open, _today(today)).order_by("member__display_name", "member__username", "id")
    )


def attendance_sheet(*, session: LiveSession) -> list[AttendanceLine]:
    """Everyone with an attendance row, and every current member even without one, by name."""
    rows = {
        a.user_id: a
        for a in Attendance.objects.filter(session=session).select_related("user", "corrected_by")
    }
    members = {m.pk: m for m in circle_members(session=session)}
    people = {**members, **{user_id: a.user for user_id, a in rows.items()}}
    # "Not a member now" is about a seat that ended: the coach's seat counts, though the coach is not
    # listed among the members to mark.
    seated = set(
        Membership.objects.current().filter(circle_id=session.circle_id).values_list("user_id", flat=True)
    )
    lines = [
        AttendanceLine(person=p, attendance=rows.get(pk), is_member=pk in seated) for pk, p in people.items()
    ]
    return sorted(lines, key=lambda line: line.person.name.casefold())
