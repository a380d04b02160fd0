"""Who may be in which room; checked when a socket connects and on every HTTP request."""

from __future__ import annotations

from chat.errors import NoAccess
from chat.models import Room, Thread
from circles.models import Membership
from coaching.accounts.models import User


def circle_room(*, user: User, circle_id: int) -> Room:
    """The circle's room, for its coach and its members who accepted the charter; NoAccess otherwise."""
    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    seat = (
        Membership.objects.filter(user=user, circle_id=circle_id, left_at__isnull=True)
        .only("role", "charter_accepted_at", "circle_id")
        .first()
    )
    if seat is None:
        raise NoAccess(4403)
    if seat.role == Membership.Role.MEMBER and seat.charter_accepted_at is None:
        raise NoAccess(4403)  # the charter comes before the first message
    return Room.objects.get_or_create(circle_id=circle_id, defaults={"kind": Room.Kind.CIRCLE})[0]


def thread_room(*, user: User, thread_id: int) -> Room:
    """The thread's room, for its two people only."""
    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    thread = Thread.objects.select_related("room").filter(pk=thread_id).first()
    if thread is None:
        raise NoAccess(4404)
    if user.pk not in (thread.coach_id, thread.member_id):
        raise NoAccess(4403)
    return thread.room


def session_room(*, user: User, session_id: int) -> Room:
    """A live session's room is its circle's room (messages are tagged with the session); same people."""
    from coaching.live.models import LiveSession

    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    circle_id = LiveSession.objects.filter(pk=session_id).values_list("circle_id", flat=True).first()
    if circle_id is None:
        raise NoAccess(4404)
    return circle_room(user=user, circle_id=circle_id)


def room_people(room: Room) -> list[User]:
    """Everyone who may currently read the room."""
    if room.circle_id is not None:
        return list(
            User.objects.filter(
                memberships__circle_id=room.circle_id, memberships__left_at__isnull=True
            ).order_by("display_name", "username")
        )
    return list(User.objects.filter(pk__in=[room.thread.coach_id, room.thread.member_id]))


def is_room_coach(*, user: User, room: Room) -> bool:
    """Whether the person coaches this room (the circle's coach, or the thread's coach)."""
    if room.circle_id is None:
        return bool(room.thread.coach_id == user.pk)
    return Membership.objects.filter(
        user=user, circle_id=room.circle_id, role=Membership.Role.COACH, left_at__isnull=True
    ).exists()
