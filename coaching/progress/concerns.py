"""Concerns: a member raises one to their coach or the programme admins; it is answered, then resolved.

Every step is a ConcernEvent that is never edited or deleted. A concern to the coach that nobody has
answered after PROGRESS_CONCERN_ESCALATION_HOURS goes to the programme admins as well.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.models import Circle, Membership
from coaching.accounts.models import User
from coaching.notifications.kinds import Kind
from coaching.notifications.services import notify_all
from coaching.progress.errors import ProgressRuleError
from coaching.progress.models import Concern, ConcernEvent
from coaching.progress.services import member_seat

MAX_SUBJECT = 200
MAX_TEXT = 4000
DEFAULT_ESCALATION_HOURS = 48


def escalation_after() -> dt.timedelta:
    """How long a concern to a coach may wait for a first answer before the admins are told."""
    return dt.timedelta(
        hours=getattr(settings, "PROGRESS_CONCERN_ESCALATION_HOURS", DEFAULT_ESCALATION_HOURS)
    )


def _admins(concern: Concern) -> list[User]:
    return list(concern.programme.admins.filter(is_active=True))


def admins_handle(concern: Concern) -> bool:
    """Whether the concern is the admins' to answer: raised to them, or escalated to them."""
    return concern.to == Concern.To.ADMINS or concern.escalated_at is not None


def may_handle(*, user: User, concern: Concern) -> bool:
    """Whether this person may answer and resolve the concern: its coach, or an admin once it is theirs."""
    if concern.to == Concern.To.COACH and concern.coach_id == user.pk:
        return True
    return admins_handle(concern) and (
        user.is_superuser or concern.programme.admins.filter(pk=user.pk).exists()
    )


def may_see(*, user: User, concern: Concern) -> bool:
    """The member who raised it, and whoever may handle it; nobody else."""
    return concern.member_id == user.pk or may_handle(user=user, concern=concern)


def visible_to_admin(*, user: User) -> QuerySet[Concern]:
    """Concerns of the programmes this person runs that are theirs: raised to the admins, or escalated."""
    programmes = Q() if user.is_superuser else Q(programme__admins=user)
    return Concern.objects.filter(programmes).filter(Q(to=Concern.To.ADMINS) | Q(escalated_at__isnull=False))


def _url(concern: Concern) -> str:
    return reverse("progress_concern", args=[concern.pk])


def _handlers(concern: Concern) -> list[User]:
    people = _admins(concern) if admins_handle(concern) else []
    if concern.to == Concern.To.COACH and concern.coach is not None:
        people.append(concern.coach)
    return people


def _tell(
    people: list[User], kind: Kind, concern: Concern, *, actor: User | None, event: str, now: dt.datetime
) -> None:
    # A step of a concern is news once per person: its key names the concern and the step.
    notify_all(
        recipients=people,
        kind=kind,
        actor=actor,
        url=_url(concern),
        dedupe_key=f"concern:{concern.pk}:{event}",
        params={"subject": concern.subject, "concern": concern.pk},
        now=now,
    )


def _text(value: str, *, limit: int, message: str, code: str) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise ProgressRuleError(message % {"max": limit}, code=code)
    return value


def _locked(concern: Concern) -> Concern:
    # Lock the concern's row only: the coach is a nullable join, which PostgreSQL will not lock.
    locked = (
        Concern.objects.select_for_update(of=("self",))
        .select_related("programme", "coach", "member")
        .get(pk=concern.pk)
    )
    if locked.status == Concern.Status.RESOLVED:
        raise ProgressRuleError(_("This concern is resolved."), code="resolved")
    return locked


@transaction.atomic
def raise_concern(
    *, member: User, circle: Circle, to: str, subject: str, text: str, now: dt.datetime | None = None
) -> Concern:
    """A member of the circle raises a concern to the circle's coach or to the programme's admins."""
    now = now or timezone.now()
    seat = member_seat(user=member, circle_id=circle.pk)
    if to not in Concern.To.values:
        raise ProgressRuleError(_("Raise it to your coach or to the programme admins."), code="bad_to")
    coach = None
    if to == Concern.To.COACH:
        coach_seat = Membership.objects.coaches().filter(circle_id=circle.pk).select_related("user").first()
        if coach_seat is None:
            raise ProgressRuleError(
                _("Your circle has no coach yet; raise it to the programme admins."), code="no_coach"
            )
        coach = coach_seat.user
    concern = Concern.objects.create(
        member=member,
        circle=circle,
        programme=seat.circle.programme,
        to=to,
        coach=coach,
        subject=_text(
            subject,
            limit=MAX_SUBJECT,
            message=_("A subject needs 1 to %(max)d characters."),
            code="bad_subject",
        ),
        text=_text(
            text, limit=MAX_TEXT, message=_("Say what happened in 1 to %(max)d characters."), code="bad_text"
        ),
        created_at=now,
    )
    ConcernEvent.objects.create(concern=concern, actor=member, kind=ConcernEvent.Kind.RAISED, created_at=now)

    _tell(_handlers(concern), Kind.CONCERN_RAISED, concern, actor=member, event="raised", now=now)
    return concern


@transaction.atomic
def answer_concern(
    *, responder: User, concern: Concern, text: str, now: dt.datetime | None = None
) -> ConcernEvent:
    """The coach (or an admin, once it is theirs) answers; the first answer stops the escalation clock."""
    now = now or timezone.now()
    concern = _locked(concern)
    if not may_handle(user=responder, concern=concern):
        raise ProgressRuleError(_("Only the person it was raised to can answer it."), code="forbidden")
    body = _text(text, limit=MAX_TEXT, message=_("An answer needs 1 to %(max)d characters."), code="bad_text")
    event = ConcernEvent.objects.create(
        concern=concern, actor=responder, kind=ConcernEvent.Kind.ANSWERED, text=body, created_at=now
    )
    concern.status = Concern.Status.ANSWERED
    concern.answered_at = concern.answered_at or now
    concern.save(update_fields=["status", "answered_at"])

    _tell([concern.member], Kind.CONCERN_ANSWERED, concern, actor=responder, event=f"{event.pk}", now=now)
    return event


@transaction.atomic
def follow_up_concern(
    *, member: User, concern: Concern, text: str, now: dt.datetime | None = None
) -> ConcernEvent:
    """The member adds to their concern; an answered concern is open again until answered again."""
    now = now or timezone.now()
    concern = _locked(concern)
    if concern.member_id != member.pk:
        raise ProgressRuleError(_("Only the member who raised it can follow it up."), code="forbidden")
    body = _text(
        text, limit=MAX_TEXT, message=_("A follow-up needs 1 to %(max)d characters."), code="bad_text"
    )
    event = ConcernEvent.objects.create(
        concern=concern, actor=member, kind=ConcernEvent.Kind.FOLLOWED_UP, text=body, created_at=now
    )
    if concern.status == Concern.Status.ANSWERED:
        concern.status = Concern.Status.OPEN
        concern.save(update_fields=["status"])

    _tell(_handlers(concern), Kind.CONCERN_FOLLOWED_UP, concern, actor=member, event=f"{event.pk}", now=now)
    return event


@transaction.atomic
def resolve_concern(
    *, user: User, concern: Concern, note: str = "", now: dt.datetime | None = None
) -> ConcernEvent:
    """The member, or whoever handles it, marks the concern resolved; it stays on record with its history."""
    now = now or timezone.now()
    concern = _locked(concern)
    is_member = concern.member_id == user.pk
    if not is_member and not may_handle(user=user, concern=concern):
        raise ProgressRuleError(
            _("Only the member or the person it was raised to can resolve it."), code="forbidden"
        )
    note = note.strip()
    if len(note) > MAX_TEXT:
        raise ProgressRuleError(
            _("A note can be at most %(max)d characters.") % {"max": MAX_TEXT}, code="bad_text"
        )
    event = ConcernEvent.objects.create(
        concern=concern, actor=user, kind=ConcernEvent.Kind.RESOLVED, text=note, created_at=now
    )
    concern.status = Concern.Status.RESOLVED
    concern.resolved_at = now
    concern.save(update_fields=["status", "resolved_at"])

    told = [concern.member] if not is_member else _handlers(concern)
    _tell(told, Kind.CONCERN_RESOLVED, concern, actor=user, event="resolved", now=now)
    return event


def escalate_overdue_concerns(*, now: dt.datetime | None = None) -> int:
    """Send every concern to a coach still unanswered after the escalation time to the admins; once each."""
    now = now or timezone.now()
    overdue = Concern.objects.filter(
        to=Concern.To.COACH,
        status=Concern.Status.OPEN,
        answered_at__isnull=True,
        escalated_at__isnull=True,
        created_at__lte=now - escalation_after(),
    ).values_list("pk", flat=True)
    escalated = 0
    for pk in list(overdue):
        with transaction.atomic():
            # Claim it first, so two workers never escalate the same concern twice.
            if not Concern.objects.filter(pk=pk, escalated_at__isnull=True, answered_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            concern = Concern.objects.select_related("programme", "member", "coach").get(pk=pk)
            ConcernEvent.objects.create(
                concern=concern, actor=None, kind=ConcernEvent.Kind.ESCALATED, created_at=now
            )

            # The admins are told; the member sees the escalation in the concern's history.
            _tell(_admins(concern), Kind.CONCERN_ESCALATED, concern, actor=None, event="escalated", now=now)
            escalated += 1
    return escalated
