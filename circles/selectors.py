"""Reads about circles: what a person may see, shaped for pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from circles.models import Circle, Membership
from coaching.accounts.models import User


@dataclass(frozen=True)
class CircleSummary:
    """A circle as its members see it on their home page."""

    circle: Circle
    role: str
    coach: User | None
    members: list[User]


def circles_for(*, user: User) -> list[CircleSummary]:
    """The circles this person currently sits in (as coach or member), with their people."""
    active = (
        Membership.objects.filter(left_at__isnull=True).select_related("user").order_by("joined_at", "id")
    )
    seats = (
        Membership.objects.filter(user=user, left_at__isnull=True)
        .select_related("circle", "circle__programme")
        .prefetch_related(Prefetch("circle__memberships", queryset=active, to_attr="active_seats"))
        .order_by("circle__name")
    )
    summaries = []
    for seat in seats:
        people = seat.circle.active_seats  # type: ignore[attr-defined]
        coach = next((m.user for m in people if m.role == Membership.Role.COACH), None)
        members = [m.user for m in people if m.role == Membership.Role.MEMBER]
        summaries.append(CircleSummary(circle=seat.circle, role=seat.role, coach=coach, members=members))
    return summaries
