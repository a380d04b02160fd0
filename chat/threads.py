"""1:1 coach-member threads: opened only between a coach and someone who sits in a circle they coach."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from chat.models import Room, Thread
from circles.access import current_seat
from circles.models import Membership
from coaching.accounts.models import User
from coaching.lib.errors import ChatError


def coaches_member(*, coach: User, member: User) -> bool:
    """Whether `coach` currently coaches a circle in which `member` currently sits as a member."""
    coached = Membership.objects.coaches().filter(user=coach).values("circle_id")
    return Membership.objects.members().filter(user=member, circle_id__in=coached).exists()


def open_thread(*, coach: User, member: User) -> Thread:
    """The coach-member thread, made with its room on first use; ChatError unless the coach coaches them."""
    if coach.pk == member.pk or not coaches_member(coach=coach, member=member):
        raise ChatError("forbidden", _("You can only talk 1:1 with the coach or a member of your circle."))
    existing = Thread.objects.filter(coach=coach, member=member).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            room = Room.objects.create(kind=Room.Kind.THREAD)
            return Thread.objects.create(room=room, coach=coach, member=member)
    except IntegrityError:
        # Both people pressed "message" at the same moment; the other request created it.
        return Thread.objects.get(coach=coach, member=member)


def open_thread_from_circle(*, user: User, circle_id: int, member_id: int | None) -> Thread:
    """A circle's coach opens a thread with a member, a member one with the coach; ChatError otherwise."""
    seat = current_seat(user=user, circle_id=circle_id)
    seats = Membership.objects.current().filter(circle_id=circle_id).select_related("user")
    if seat is not None and seat.role == Membership.Role.COACH:
        coach: User | None = user
        other = seats.members().filter(user_id=member_id).first() if member_id else None
        member = other.user if other else None
    elif seat is not None and member_id in (None, user.pk):
        member = user
        other = seats.coaches().first()
        coach = other.user if other else None
    else:
        coach = member = None
    if coach is None or member is None:
        raise ChatError("not_found", _("There is no such person in this circle."))
    return open_thread(coach=coach, member=member)


@dataclass(frozen=True)
class ThreadSummary:
    """A thread as one of its two people sees it: who is on the other side."""

    thread: Thread
    other: User
    other_is_coach: bool


def threads_of(*, user: User) -> list[ThreadSummary]:
    """The person's 1:1 threads, ordered by the other person's name."""
    threads = Thread.objects.filter(Q(coach=user) | Q(member=user)).select_related("coach", "member", "room")
    summaries = [
        ThreadSummary(
            thread=t,
            other=t.member if t.coach_id == user.pk else t.coach,
            other_is_coach=t.member_id == user.pk,
        )
        for t in threads
    ]
    return sorted(summaries, key=lambda s: s.other.name.casefold())
