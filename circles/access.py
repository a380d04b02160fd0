"""Who may see what: every circles page and API asks here, per object, on the server.

No access answers 404, so ids reveal nothing about what exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from circles.models import Circle, Membership, Programme
from coaching.accounts.models import User
from coaching.lib.errors import NoAccess


def administered_programmes(*, user: User) -> QuerySet[Programme]:
    """The programmes this person runs (every programme for a superuser)."""
    if user.is_superuser:
        return Programme.objects.all()
    return Programme.objects.filter(admins=user)


def programme_for_admin(*, user: User, programme_id: int) -> Programme:
    """The programme, if this person administers it; otherwise 404."""
    programme = administered_programmes(user=user).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    return programme


def current_seat(*, user: User, circle_id: int) -> Membership | None:
    """The person's active seat (coach or member) in that circle, if any."""
    return (
        Membership.objects.current()
        .filter(user=user, circle_id=circle_id)
        .select_related("circle", "circle__programme")
        .first()
    )


def seat_or_404(*, user: User, circle_id: int) -> Membership:
    """The person's active seat in that circle; 404 for anyone else, admins included."""
    seat = current_seat(user=user, circle_id=circle_id)
    if seat is None:
        raise Http404
    return seat


def is_admitted(seat: Membership | None) -> bool:
    """Whether a seat admits its holder to the circle: the coach, or a member past the charter."""
    return seat is not None and (seat.role == Membership.Role.COACH or seat.charter_accepted_at is not None)


def access_circle(user: User, circle_id: int) -> Circle:
    """The circle if `user` is its coach or an admitted member (charter accepted); NoAccess (a 404) otherwise.

    The refusal carries a socket's close code: 4401 signed out or disabled, 4403 not admitted.
    """
    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    seat = current_seat(user=user, circle_id=circle_id)
    if seat is None or not is_admitted(seat):
        raise NoAccess(4403)  # the charter comes before the first message
    return seat.circle


def is_coach_of(*, user: User, circle_id: int) -> bool:
    """Whether `user` currently coaches that circle: the one rule every app asks."""
    return (
        user.is_authenticated and Membership.objects.coaches().filter(user=user, circle_id=circle_id).exists()
    )


def coached_circle(user: User, circle_id: int) -> Circle:
    """The circle if `user` currently coaches it; Http404 otherwise (admins included)."""
    seat = current_seat(user=user, circle_id=circle_id) if user.is_authenticated else None
    if seat is None or seat.role != Membership.Role.COACH:
        raise Http404
    return seat.circle


def circle_for_admin(*, user: User, programme: Programme, circle_id: int) -> Circle:
    """A circle of a programme this person administers; 404 for another programme's circle."""
    circle = Circle.objects.filter(pk=circle_id, programme=programme).first()
    if circle is None:
        raise Http404
    return circle
