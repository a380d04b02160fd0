"""Fixtures for circles tests: a small programme built through the services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from circles import services
from circles.models import Circle, Programme
from coaching.accounts.models import User


@dataclass
class World:
    programme: Programme
    admin: User
    coach: User
    other_coach: User
    circle: Circle
    second: Circle
    members: list[User]
    other_programme: Programme
    other_admin: User
    other_circle: Circle
    outsider: User


def person(username: str, zone: str = "Europe/Madrid", languages: tuple[str, ...] = ("es", "en")) -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        display_name=username.title(),
        timezone=zone,
        languages=list(languages),
        email=f"{username}@example.org",
    )


@pytest.fixture
def world(db) -> World:
    admin = person("admin")
    programme = Programme.objects.create(name="Pilot", languages=["es", "en"], default_circle_size=3)
    programme.admins.add(admin)
    coach, other_coach = person("coach"), person("coach2", "Africa/Nairobi")
    for c in (coach, other_coach):
        services.enrol(programme=programme, user=c, role="coach")
    members = [
        person(f"m{i}", zone)
        for i, zone in enumerate(
            ["America/Bogota", "Africa/Lagos", "Europe/Madrid", "America/New_York", "Asia/Tokyo"]
        )
    ]
    for m in members:
        services.enrol(programme=programme, user=m, role="member")
    circle = services.create_circle(
        actor=admin, programme=programme, name="Alpha", language="es", coach=coach
    )
    second = services.create_circle(
        actor=admin, programme=programme, name="Beta", language="en", coach=other_coach
    )

    other_admin = person("other_admin")
    other_programme = Programme.objects.create(name="Elsewhere")
    other_programme.admins.add(other_admin)
    other_coach_b = person("coach_b")
    services.enrol(programme=other_programme, user=other_coach_b, role="coach")
    other_circle = services.create_circle(
        actor=other_admin, programme=other_programme, name="Gamma", language="en", coach=other_coach_b
    )
    outsider = person("outsider")
    services.enrol(programme=other_programme, user=outsider, role="member")
    services.assign_member(actor=other_admin, circle=other_circle, member=outsider)
    return World(
        programme,
        admin,
        coach,
        other_coach,
        circle,
        second,
        members,
        other_programme,
        other_admin,
        other_circle,
        outsider,
    )
