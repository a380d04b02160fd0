"""The demo programme: people on several continents in three circles, created once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from circles.models import Circle, Membership, Programme
from coaching.accounts.models import User

DEMO_PASSWORD = "circles-demo"  # noqa: S105 - demo accounts only; seed_demo refuses to run in production
PROGRAMME_NAME = "Leading Across Borders 2026"


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    timezone: str
    languages: tuple[str, ...]
    ui_language: str = "en"


ADMIN = Person("ana.admin", "Ana Ortega", "Europe/Madrid", ("es", "en"))
CIRCLES: list[tuple[str, Person, list[Person]]] = [
    (
        "Puentes",
        Person("lucia.coach", "Lucía Fernández", "Europe/Madrid", ("es", "en"), "es"),
        [
            Person("camila", "Camila Rojas", "America/Bogota", ("es",), "es"),
            Person("mateo", "Mateo Hernández", "America/Mexico_City", ("es", "en"), "es"),
            Person("valentina", "Valentina Ruiz", "Europe/Madrid", ("es", "en"), "es"),
            Person("santiago", "Santiago Gómez", "America/Bogota", ("es",), "es"),
            Person("isabela", "Isabela Castro", "America/Lima", ("es", "en"), "es"),
            Person("andres", "Andrés Morales", "America/Mexico_City", ("es",), "es"),
        ],
    ),
    (
        "Harambee",
        Person("amani.coach", "Amani Wanjiru", "Africa/Nairobi", ("en", "sw")),
        [
            Person("grace", "Grace Achieng", "Africa/Nairobi", ("en", "sw")),
            Person("kofi", "Kofi Mensah", "Africa/Accra", ("en",)),
            Person("james", "James Carter", "America/New_York", ("en",)),
            Person("fatima", "Fatima Bello", "Africa/Lagos", ("en",)),
            Person("daniel", "Daniel Okafor", "Europe/London", ("en",)),
        ],
    ),
    (
        "Horizonte",
        Person("diego.coach", "Diego Ramírez", "America/Mexico_City", ("es", "en")),
        [
            Person("sofia", "Sofía Navarro", "America/New_York", ("es", "en")),
            Person("lucas", "Lucas Pereyra", "America/Argentina/Buenos_Aires", ("es", "en"), "es"),
            Person("emma", "Emma Johnson", "America/Los_Angeles", ("en", "es")),
            Person("martina", "Martina López", "Europe/Madrid", ("es", "en"), "es"),
            Person("nicolas", "Nicolás Silva", "America/Santiago", ("es",), "es"),
            Person("olivia", "Olivia Brown", "America/Toronto", ("en", "es")),
            Person("jorge", "Jorge Vargas", "Africa/Nairobi", ("es", "en", "sw")),
        ],
    ),
]


def _account(person: Person, *, admin: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=person.username,
        defaults={
            "display_name": person.name,
            "email": f"{person.username}@demo.circles.example",
            "timezone": person.timezone,
            "languages": list(person.languages),
            "ui_language": person.ui_language,
            "is_programme_admin": admin,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_demo() -> Programme:
    """Create the demo programme, its people and circles; what already exists is left as it is."""
    programme, _ = Programme.objects.get_or_create(
        name=PROGRAMME_NAME,
        defaults={"description": "Circles of trust for emerging leaders in Europe, the Americas and Africa."},
    )
    programme.admins.add(_account(ADMIN, admin=True))
    for circle_name, coach, members in CIRCLES:
        circle, created = Circle.objects.get_or_create(programme=programme, name=circle_name)
        if not created:
            continue
        Membership.objects.create(circle=circle, user=_account(coach), role=Membership.Role.COACH)
        for member in members:
            Membership.objects.create(circle=circle, user=_account(member), role=Membership.Role.MEMBER)
    return programme


def describe_demo() -> dict[str, Any]:
    """What the demo holds, in the shape newcomer.md promises to scripts and tests."""
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    circles = []
    for circle in programme.circles.order_by("id"):
        seats = circle.memberships.filter(left_at__isnull=True).select_related("user").order_by("id")
        circles.append(
            {
                "id": circle.id,
                "name": circle.name,
                "coach": next((s.user.username for s in seats if s.role == Membership.Role.COACH), None),
                "members": [s.user.username for s in seats if s.role == Membership.Role.MEMBER],
            }
        )
    return {
        "password": DEMO_PASSWORD,
        "programme": {"id": programme.id, "name": programme.name},
        "admins": sorted(programme.admins.values_list("username", flat=True)),
        "circles": circles,
        "sessions": [],
    }
