"""The write paths for who sits where; every rule on seats is enforced here, under row locks.

Lock order (to avoid deadlocks): the person's enrolment first, then circles by ascending id.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.access import is_coach_of
from circles.errors import CircleRuleError
from circles.models import AssignmentAudit, Circle, Enrolment, Membership, Programme
from circles.signals import seat_ended
from coaching.accounts.models import User
from coaching.accounts.zones import language_names, time_zone_names
from coaching.notifications.kinds import Kind
from coaching.notifications.services import notify

Source = AssignmentAudit.Source
MAX_CHARTER_LENGTH = 5000
MAX_REASON_LENGTH = 500


def _announce_seat_ended(*, circle_id: int, user_id: int) -> None:
    transaction.on_commit(partial(seat_ended.send, sender=Membership, circle_id=circle_id, user_id=user_id))


def _tell_seated(*, seat: Membership, actor: User | None, from_circle: Circle | None = None) -> None:
    # The new seat is the event: a person told once per seat, however the seat came to be.
    circle = seat.circle
    params = {"circle": circle.name, "programme": circle.programme.name}
    if from_circle is not None:
        params["from_circle"] = from_circle.name
    notify(
        recipient=seat.user,
        kind=Kind.CIRCLE_ADDED if from_circle is None else Kind.CIRCLE_MOVED,
        actor=actor,
        url=reverse("circle", args=[circle.pk]),
        dedupe_key=f"seat:{seat.pk}:{'added' if from_circle is None else 'moved'}",
        params=params,
    )


def _reason(reason: str, *, required: bool) -> str:
    reason = reason.strip()
    if required and not reason:
        raise CircleRuleError(_("Please give a reason; it is kept in the audit log."), code="reason_required")
    if len(reason) > MAX_REASON_LENGTH:
        raise CircleRuleError(
            _("The reason is too long (at most %(max)d characters).") % {"max": MAX_REASON_LENGTH},
            code="reason_too_long",
        )
    return reason


def _locked_enrolment(*, programme: Programme, user: User, role: str) -> Enrolment:
    enrolment = Enrolment.objects.select_for_update().filter(programme=programme, user=user).first()
    if enrolment is None:
        raise CircleRuleError(
            _("%(person)s is not enrolled in %(programme)s.")
            % {"person": user.name, "programme": programme.name},
            code="not_enrolled",
        )
    if enrolment.role != role:
        message = (
            _("%(person)s takes part as a coach, not as a member.")
            if enrolment.role == Enrolment.Role.COACH
            else _("%(person)s takes part as a member, not as a coach.")
        )
        raise CircleRuleError(message % {"person": user.name}, code="wrong_role")
    return enrolment


def _locked_circles(*circles: Circle) -> list[Circle]:
    ids = sorted({c.pk for c in circles})
    locked = {c.pk: c for c in Circle.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [locked[c.pk] for c in circles]


def _check_open(circle: Circle) -> None:
    if circle.status == Circle.Status.CLOSED:
        raise CircleRuleError(_("%(circle)s is closed.") % {"circle": circle.name}, code="circle_closed")


def _check_free_seat(circle: Circle) -> None:
    taken = circle.memberships.members().count()
    if taken >= circle.capacity:
        raise CircleRuleError(
            _("%(circle)s is full (%(taken)d of %(capacity)d seats taken).")
            % {"circle": circle.name, "taken": taken, "capacity": circle.capacity},
            code="circle_full",
        )


def _active_seats(*, user: User, programme: Programme) -> list[Membership]:
    return list(
        Membership.objects.members().filter(user=user, circle__programme=programme).select_related("circle")
    )


def _audit(
    *,
    programme: Programme,
    actor: User | None,
    action: str,
    subject: User | None,
    source: str,
    reason: str = "",
    from_circle: Circle | None = None,
    to_circle: Circle | None = None,
) -> AssignmentAudit:
    return AssignmentAudit.objects.create(
        programme=programme,
        actor=actor,
        action=action,
        subject=subject,
        source=source,
        reason=reason,
        from_circle=from_circle,
        to_circle=to_circle,
    )


def enrol(*, programme: Programme, user: User, role: str) -> Enrolment:
    """Enrol a person in a programme as coach or member (idempotent for the same role)."""
    enrolment, created = Enrolment.objects.get_or_create(
        programme=programme, user=user, defaults={"role": role}
    )
    if not created and enrolment.role != role:
        raise CircleRuleError(
            _("%(person)s is already enrolled as %(role)s.")
            % {"person": user.name, "role": enrolment.get_role_display()},
            code="wrong_role",
        )
    return enrolment


@transaction.atomic
def enrol_many(*, programme: Programme, people: list[tuple[User, str]]) -> int:
    """Enrol many people at once (idempotent per person and role); returns how many were new."""
    wanted = {user.pk: (user, role) for user, role in people}
    current: dict[int, str] = {}
    ids = list(wanted)
    for start in range(0, len(ids), 5000):
        current.update(
            Enrolment.objects.filter(programme=programme, user_id__in=ids[start : start + 5000]).values_list(
                "user_id", "role"
            )
        )
    for user_id, role in current.items():
        user, wanted_role = wanted[user_id]
        if role != wanted_role:
            raise CircleRuleError(
                _("%(person)s is already enrolled as %(role)s.")
                % {"person": user.name, "role": Enrolment.Role(role).label},
                code="wrong_role",
            )
    new = [
        Enrolment(programme=programme, user=user, role=role)
        for user_id, (user, role) in wanted.items()
        if user_id not in current
    ]
    Enrolment.objects.bulk_create(new, batch_size=1000)
    return len(new)


@transaction.atomic
def create_circle(
    *,
    actor: User | None,
    programme: Programme,
    name: str,
    language: str,
    capacity: int | None = None,
    coach: User | None = None,
    meeting_weekday: int | None = None,
    meeting_time: dt.time | None = None,
    meeting_minutes: int = 90,
    meeting_timezone: str | None = None,
    status: str = Circle.Status.FORMING,
    source: str = Source.WEB,
) -> Circle:
    """Create a circle in a programme, optionally with its coach; the audit records it."""
    name = name.strip()
    if not name or len(name) > 200:
        raise CircleRuleError(_("A circle needs a name of 1 to 200 characters."), code="bad_name")
    if language not in language_names():
        raise CircleRuleError(
            _("Unknown language code: %(codes)s.") % {"codes": language}, code="bad_language"
        )
    capacity = programme.default_circle_size if capacity is None else capacity
    if not 2 <= capacity <= 50:
        raise CircleRuleError(_("A circle seats between 2 and 50 members."), code="bad_capacity")
    zone = meeting_timezone or (coach.timezone if coach else "UTC")
    if zone not in time_zone_names():
        raise CircleRuleError(_("“%(value)s” is not a time zone we know.") % {"value": zone}, code="bad_zone")
    if Circle.objects.filter(programme=programme, name=name).exists():
        raise CircleRuleError(
            _("%(programme)s already has a circle called %(circle)s.")
            % {"programme": programme.name, "circle": name},
            code="duplicate_name",
        )
    circle = Circle.objects.create(
        programme=programme,
        name=name,
        language=language,
        capacity=capacity,
        status=status,
        meeting_weekday=meeting_weekday,
        meeting_time=meeting_time,
        meeting_minutes=meeting_minutes,
        meeting_timezone=zone,
    )
    _audit(
        programme=programme,
        actor=actor,
        action=AssignmentAudit.Action.CREATE_CIRCLE,
        subject=None,
        to_circle=circle,
        source=source,
    )
    if coach is not None:
        _locked_enrolment(programme=programme, user=coach, role=Enrolment.Role.COACH)
        seat = Membership.objects.create(circle=circle, user=coach, role=Membership.Role.COACH)
        _tell_seated(seat=seat, actor=actor)
        _audit(
            programme=programme,
            actor=actor,
            action=AssignmentAudit.Action.CHANGE_COACH,
            subject=coach,
            to_circle=circle,
            source=source,
        )
    return circle


@transaction.atomic
def assign_member(
    *,
    actor: User | None,
    circle: Circle,
    member: User,
    reason: str = "",
    source: str = Source.WEB,
) -> Membership:
    """Give a member a seat in a circle of their programme, if it has room and the rules allow it."""
    reason = _reason(reason, required=False)
    programme = circle.programme
    _locked_enrolment(programme=programme, user=member, role=Enrolment.Role.MEMBER)
    (circle,) = _locked_circles(circle)
    _check_open(circle)
    seats = _active_seats(user=member, programme=programme)
    if any(seat.circle_id == circle.pk for seat in seats):
        raise CircleRuleError(
            _("%(person)s is already in %(circle)s.") % {"person": member.name, "circle": circle.name},
            code="already_there",
        )
    if seats and not programme.allow_several_circles:
        raise CircleRuleError(
            _("%(person)s already sits in %(circle)s; move them instead.")
            % {"person": member.name, "circle": seats[0].circle.name},
            code="already_seated",
        )
    _check_free_seat(circle)
    try:
        seat = Membership.objects.create(circle=circle, user=member, role=Membership.Role.MEMBER)
    except IntegrityError:  # the partial unique index is the last line of defence
        raise CircleRuleError(_("That seat was just taken; please try again."), code="conflict") from None
    _audit(
        programme=programme,
        actor=actor,
        action=AssignmentAudit.Action.ASSIGN,
        subject=member,
        reason=reason,
        to_circle=circle,
        source=source,
    )
    _tell_seated(seat=seat, actor=actor)
    return seat


@transaction.atomic
def move_member(
    *,
    actor: User | None,
    member: User,
    from_circle: Circle,
    to_circle: Circle,
    reason: str,
    source: str = Source.WEB,
) -> Membership:
    """Move a member between two circles of the same programme, keeping the audit trail."""
    reason = _reason(reason, required=True)
    if from_circle.programme_id != to_circle.programme_id:
        raise CircleRuleError(
            _("Members can only move between circles of the same programme."), code="other_programme"
        )
    if from_circle.pk == to_circle.pk:
        raise CircleRuleError(_("That is the circle they are already in."), code="already_there")
    programme = to_circle.programme
    _locked_enrolment(programme=programme, user=member, role=Enrolment.Role.MEMBER)
    from_circle, to_circle = _locked_circles(from_circle, to_circle)
    _check_open(to_circle)
    old_seat = Membership.objects.members().filter(circle=from_circle, user=member).first()
    if old_seat is None:
        raise CircleRuleError(
            _("%(person)s is not in %(circle)s.") % {"person": member.name, "circle": from_circle.name},
            code="not_there",
        )
    if Membership.objects.current().filter(circle=to_circle, user=member).exists():
        raise CircleRuleError(
            _("%(person)s is already in %(circle)s.") % {"person": member.name, "circle": to_circle.name},
            code="already_there",
        )
    _check_free_seat(to_circle)
    old_seat.left_at = timezone.now()
    old_seat.save(update_fields=["left_at"])
    seat = Membership.objects.create(circle=to_circle, user=member, role=Membership.Role.MEMBER)
    _audit(
        programme=programme,
        actor=actor,
        action=AssignmentAudit.Action.MOVE,
        subject=member,
        reason=reason,
        from_circle=from_circle,
        to_circle=to_circle,
        source=source,
    )
    _announce_seat_ended(circle_id=from_circle.pk, user_id=member.pk)
    _tell_seated(seat=seat, actor=actor, from_circle=from_circle)
    return seat


@transaction.atomic
def remove_member(
    *,
    actor: User | None,
    circle: Circle,
    member: User,
    reason: str,
    source: str = Source.WEB,
) -> None:
    """End a member's seat in a circle; they lose access to it at once."""
    reason = _reason(reason, required=True)
    (circle,) = _locked_circles(circle)
    seat = Membership.objects.members().filter(circle=circle, user=member).first()
    if seat is None:
        raise CircleRuleError(
            _("%(person)s is not in %(circle)s.") % {"person": member.name, "circle": circle.name},
            code="not_there",
        )
    seat.left_at = timezone.now()
    seat.save(update_fields=["left_at"])
    _audit(
        programme=circle.programme,
        actor=actor,
        action=AssignmentAudit.Action.REMOVE,
        subject=member,
        reason=reason,
        from_circle=circle,
        source=source,
    )
    _announce_seat_ended(circle_id=circle.pk, user_id=member.pk)


@transaction.atomic
def change_coach(
    *,
    actor: User | None,
    circle: Circle,
    coach: User,
    reason: str = "",
    source: str = Source.WEB,
) -> Membership:
    """Make `coach` the circle's coach; the previous coach loses the seat."""
    reason = _reason(reason, required=False)
    _locked_enrolment(programme=circle.programme, user=coach, role=Enrolment.Role.COACH)
    (circle,) = _locked_circles(circle)
    _check_open(circle)
    current = Membership.objects.coaches().filter(circle=circle).first()
    if current is not None and current.user_id == coach.pk:
        raise CircleRuleError(
            _("%(person)s already coaches %(circle)s.") % {"person": coach.name, "circle": circle.name},
            code="already_there",
        )
    if current is not None:
        current.left_at = timezone.now()
        current.save(update_fields=["left_at"])
        _announce_seat_ended(circle_id=circle.pk, user_id=current.user_id)
    seat = Membership.objects.create(circle=circle, user=coach, role=Membership.Role.COACH)
    _audit(
        programme=circle.programme,
        actor=actor,
        action=AssignmentAudit.Action.CHANGE_COACH,
        subject=coach,
        reason=reason,
        to_circle=circle,
        source=source,
    )
    _tell_seated(seat=seat, actor=actor)
    return seat


@transaction.atomic
def close_circle(*, actor: User | None, circle: Circle, reason: str, source: str = Source.WEB) -> None:
    """Close a circle: every seat ends and nobody can join it again."""
    reason = _reason(reason, required=True)
    (circle,) = _locked_circles(circle)
    _check_open(circle)
    now = timezone.now()
    seats = list(circle.memberships.current())
    circle.memberships.current().update(left_at=now)
    circle.status = Circle.Status.CLOSED
    circle.closed_at = now
    circle.save(update_fields=["status", "closed_at"])
    _audit(
        programme=circle.programme,
        actor=actor,
        action=AssignmentAudit.Action.CLOSE_CIRCLE,
        subject=None,
        reason=reason,
        from_circle=circle,
        source=source,
    )
    for seat in seats:
        _announce_seat_ended(circle_id=circle.pk, user_id=seat.user_id)


@transaction.atomic
def accept_charter(*, user: User, circle: Circle) -> Membership:
    """Record that a person accepted the circle's charter (the first acceptance time is kept)."""
    seat = Membership.objects.current().select_for_update().filter(circle=circle, user=user).first()
    if seat is None:
        raise CircleRuleError(_("You are not in this circle."), code="not_there")
    if seat.charter_accepted_at is None:
        seat.charter_accepted_at = timezone.now()
        seat.save(update_fields=["charter_accepted_at"])
    return seat


def update_charter(*, actor: User, circle: Circle, text: str) -> Circle:
    """Let the circle's coach rewrite its charter."""
    if not is_coach_of(user=actor, circle_id=circle.pk):
        raise CircleRuleError(_("Only the circle's coach can edit its charter."), code="forbidden")
    text = text.strip()
    if not text:
        raise CircleRuleError(_("The charter cannot be empty."), code="empty_charter")
    if len(text) > MAX_CHARTER_LENGTH:
        raise CircleRuleError(
            _("The charter is too long (at most %(max)d characters).") % {"max": MAX_CHARTER_LENGTH},
            code="charter_too_long",
        )
    circle.charter = text
    circle.save(update_fields=["charter"])
    return circle
