"""Who may be in which chat room: asked when a socket connects and on every page and API request.

A refusal is NoAccess, which carries the socket's close code (4401 signed out, 4403 no access, 4404 no such
room) and is a 404 to views, so ids reveal nothing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from chat.models import Room, Thread
from circles.access import access_circle, is_coach_of
from circles.models import Membership
from coaching.accounts.models import User
from coaching.lib.errors import NoAccess


def circle_room_of(circle_id: int) -> Room:
    """The circle's room, made on first use; for callers that checked access already."""
    return Room.objects.get_or_create(circle_id=circle_id, defaults={"kind": Room.Kind.CIRCLE})[0]


def access_room(user: User, circle_id: int) -> Room:
    """The circle's room, for those `circles.access.access_circle` admits; NoAccess otherwise."""
    access_circle(user, circle_id)
    return circle_room_of(circle_id)


def access_thread(user: User, thread_id: int) -> Thread:
    """The 1:1 thread (its room, coach and member loaded), for its two people only; NoAccess otherwise."""
    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    thread = Thread.objects.select_related("room", "coach", "member").filter(pk=thread_id).first()
    if thread is None:
        raise NoAccess(4404)
    if user.pk not in (thread.coach_id, thread.member_id):
        raise NoAccess(4403)
    return thread


def readable_rooms(user: User) -> QuerySet[Room]:
    """Every room `user` may read now: what `access_room` and `access_thread` admit, as one queryset.

    Circles where they hold an admitted seat (a past seat reads nothing), and their 1:1 threads, which stay
    theirs after the seat that began them ends. Disabled and signed-out people, and admins as such, get none.
    """
    if not user.is_authenticated or not user.is_active:
        return Room.objects.none()
    admitted = Membership.objects.admitted().filter(user=user).values("circle_id")
    return Room.objects.filter(Q(circle_id__in=admitted) | Q(thread__coach=user) | Q(thread__member=user))


def room_people(room: Room) -> list[User]:
    """Everyone who may currently read the room."""
    if room.circle_id is not None:
        seated = Membership.objects.current().filter(circle_id=room.circle_id).values("user_id")
        return list(User.objects.filter(pk__in=seated).order_by("display_name", "username"))
    return list(User.objects.filter(pk__in=[room.thread.coach_id, room.thread.member_id]))


def coach_ids(room: Room) -> set[int]:
    """The ids of the room's coach: the circle's current coach, or the thread's."""
    if room.circle_id is None:
        return {room.thread.coach_id}
    return set(
        Membership.objects.coaches().filter(circle_id=room.circle_id).values_list("user_id", flat=True)
    )


def is_room_coach(*, user: User, room: Room) -> bool:
    """Whether the person coaches this room (the thread's coach, or the circle's as circles.access says)."""
    if room.circle_id is None:
        return bool(room.thread.coach_id == user.pk)
    return is_coach_of(user=user, circle_id=room.circle_id)
