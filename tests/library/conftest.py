"""A small programme for library tests: one circle with its coach and members, and everyone refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from chat.access import circle_room_of
from chat.models import Room
from circles import services
from circles.models import Circle, Programme
from coaching.accounts.models import User
from tests.chat.conftest import join, post  # noqa: F401 (join: the chat's socket fixture)


def person(username: str) -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        display_name=username.title(),
        timezone="Africa/Nairobi",
        languages=["en"],
        ui_language="en",
        email=f"{username}@example.org",
    )


@dataclass
class Place:
    admin: User
    coach: User
    grace: User
    kofi: User
    newcomer: User  # seated, charter not accepted yet
    leaver: User  # was a member, removed
    circle: Circle
    room: Room
    other_member: User  # a member of another circle
    other_circle: Circle

    def say(self, author: User, body: str) -> int:
        """Post a message in the circle's room through chat's one write path; its id."""
        return post(author, self.room, body).message.pk


@pytest.fixture
def place(db: None) -> Place:
    admin = person("admin")
    programme = Programme.objects.create(name="Pilot", languages=["en"], default_circle_size=6)
    programme.admins.add(admin)
    coach, other_coach = person("coach"), person("coach2")
    for c in (coach, other_coach):
        services.enrol(programme=programme, user=c, role="coach")
    circle = services.create_circle(
        actor=admin, programme=programme, name="Alpha", language="en", coach=coach
    )
    other = services.create_circle(
        actor=admin, programme=programme, name="Beta", language="en", coach=other_coach
    )
    grace, kofi, newcomer, leaver, other_member = (
        person(name) for name in ("grace", "kofi", "newcomer", "leaver", "other")
    )
    for member, seat in [
        (grace, circle),
        (kofi, circle),
        (newcomer, circle),
        (leaver, circle),
        (other_member, other),
    ]:
        services.enrol(programme=programme, user=member, role="member")
        services.assign_member(actor=admin, circle=seat, member=member)
        if member is not newcomer:
            services.accept_charter(user=member, circle=seat)
    services.remove_member(actor=admin, circle=circle, member=leaver, reason="moved away")
    return Place(
        admin, coach, grace, kofi, newcomer, leaver, circle, circle_room_of(circle.pk), other_member, other
    )


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
