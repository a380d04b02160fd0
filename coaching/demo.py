"""The demo programme: people on several continents in three circles (and four to place), created once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from circles import services
from circles.models import AssignmentAudit, Circle, CoachProfile, Enrolment, Membership, Programme
from coaching.accounts.models import User
from coaching.live import logs
from coaching.live.models import LiveSession
from coaching.live.scheduling import schedule_session
from coaching.progress.demo import seed_progress

DEMO_PASSWORD = "circles-demo"  # noqa: S105 - demo accounts only; seed_demo refuses to run in production
PROGRAMME_NAME = "Leading Across Borders 2026"


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    timezone: str
    languages: tuple[str, ...]
    ui_language: str = "en"
    focus_areas: tuple[str, ...] = ()


ADMIN = Person("ana.admin", "Ana Ortega", "Europe/Madrid", ("es", "en"))


@dataclass(frozen=True)
class DemoCircle:
    name: str
    language: str
    coach: Person
    members: list[Person]
    meeting: tuple[int, dt.time]  # weekday and local start time in the coach's zone


CIRCLES: list[DemoCircle] = [
    DemoCircle(
        "Puentes",
        "es",
        Person(
            "lucia.coach", "Lucía Fernández", "Europe/Madrid", ("es", "en"), "es", ("leadership", "career")
        ),
        [
            Person("camila", "Camila Rojas", "America/Bogota", ("es",), "es", ("career", "confidence")),
            Person("mateo", "Mateo Hernández", "America/Mexico_City", ("es", "en"), "es", ("leadership",)),
            Person(
                "valentina", "Valentina Ruiz", "Europe/Madrid", ("es", "en"), "es", ("wellbeing", "career")
            ),
            Person("santiago", "Santiago Gómez", "America/Bogota", ("es",), "es", ("entrepreneurship",)),
            Person("isabela", "Isabela Castro", "America/Lima", ("es", "en"), "es", ("confidence",)),
            Person(
                "andres", "Andrés Morales", "America/Mexico_City", ("es",), "es", ("leadership", "career")
            ),
        ],
        (1, dt.time(17, 0)),
    ),
    DemoCircle(
        "Harambee",
        "en",
        Person(
            "amani.coach",
            "Amani Wanjiru",
            "Africa/Nairobi",
            ("en", "sw"),
            "en",
            ("entrepreneurship", "leadership"),
        ),
        [
            Person("grace", "Grace Achieng", "Africa/Nairobi", ("en", "sw"), "en", ("entrepreneurship",)),
            Person("kofi", "Kofi Mensah", "Africa/Accra", ("en",), "en", ("career", "leadership")),
            Person("james", "James Carter", "America/New_York", ("en",), "en", ("wellbeing",)),
            Person("fatima", "Fatima Bello", "Africa/Lagos", ("en",), "en", ("confidence", "career")),
            Person("daniel", "Daniel Okafor", "Europe/London", ("en",), "en", ("leadership",)),
        ],
        (3, dt.time(16, 0)),
    ),
    DemoCircle(
        "Horizonte",
        "es",
        Person(
            "diego.coach", "Diego Ramírez", "America/Mexico_City", ("es", "en"), "en", ("career", "wellbeing")
        ),
        [
            Person("sofia", "Sofía Navarro", "America/New_York", ("es", "en"), "en", ("career",)),
            Person(
                "lucas",
                "Lucas Pereyra",
                "America/Argentina/Buenos_Aires",
                ("es", "en"),
                "es",
                ("leadership",),
            ),
            Person(
                "emma", "Emma Johnson", "America/Los_Angeles", ("en", "es"), "en", ("wellbeing", "confidence")
            ),
            Person("martina", "Martina López", "Europe/Madrid", ("es", "en"), "es", ("entrepreneurship",)),
            Person("nicolas", "Nicolás Silva", "America/Santiago", ("es",), "es", ("career",)),
            Person(
                "olivia", "Olivia Brown", "America/Toronto", ("en", "es"), "en", ("leadership", "wellbeing")
            ),
            Person(
                "jorge", "Jorge Vargas", "Africa/Nairobi", ("es", "en", "sw"), "es", ("entrepreneurship",)
            ),
        ],
        (4, dt.time(10, 0)),
    ),
]

# Enrolled but not yet in a circle, so the admin's dashboard has people to place.
UNASSIGNED = [
    Person("aisha", "Aisha Diallo", "Africa/Dakar", ("fr", "en"), "en", ("career",)),
    Person("pedro", "Pedro Álvarez", "America/Caracas", ("es",), "es", ("leadership", "confidence")),
    Person("chloe", "Chloé Martin", "Europe/Paris", ("fr", "en", "es"), "en", ("wellbeing",)),
    Person("tunde", "Tunde Adeyemi", "Africa/Lagos", ("en",), "en", ("entrepreneurship", "career")),
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
            "focus_areas": list(person.focus_areas),
            "is_programme_admin": admin,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_demo(*, activity: bool = True) -> Programme:
    """Create the demo programme, people and circles through the services; existing parts stay as they are.

    With `activity` (what `manage.py seed_demo` does) the circles also get eight weeks of life: past
    sessions with attendance and a log, an upcoming session, goals, check-ins, commitments, concerns,
    kudos and conversations. Tests that count such records ask for the plain demo.
    """
    programme, _created = Programme.objects.get_or_create(
        name=PROGRAMME_NAME,
        defaults={
            "description": "Circles of trust for emerging leaders in Europe, the Americas and Africa.",
            "languages": ["es", "en"],
            "starts_on": dt.date(2026, 1, 12),
            "ends_on": dt.date(2026, 12, 18),
        },
    )
    admin = _account(ADMIN, admin=True)
    programme.admins.add(admin)
    for spec in CIRCLES:
        coach = _account(spec.coach)
        CoachProfile.objects.get_or_create(
            user=coach, defaults={"specialities": list(spec.coach.focus_areas)}
        )
        services.enrol(programme=programme, user=coach, role=Enrolment.Role.COACH)
        members = [_account(person) for person in spec.members]
        for member in members:
            services.enrol(programme=programme, user=member, role=Enrolment.Role.MEMBER)
        if Circle.objects.filter(programme=programme, name=spec.name).exists():
            continue
        circle = services.create_circle(
            actor=admin,
            programme=programme,
            name=spec.name,
            language=spec.language,
            coach=coach,
            meeting_weekday=spec.meeting[0],
            meeting_time=spec.meeting[1],
            status=Circle.Status.ACTIVE,
            source=AssignmentAudit.Source.COMMAND,
        )
        for member in members:
            services.assign_member(
                actor=admin,
                circle=circle,
                member=member,
                reason="demo",
                source=AssignmentAudit.Source.COMMAND,
            )
            services.accept_charter(user=member, circle=circle)
    for person in UNASSIGNED:
        services.enrol(programme=programme, user=_account(person), role=Enrolment.Role.MEMBER)
    if activity:
        seed_progress(programme)
        _sessions_ahead_and_logged(programme)
    return programme


def _sessions_ahead_and_logged(programme: Programme) -> None:
    """Each active circle gets its next weekly session scheduled and a log on its last past session."""
    now = timezone.now()
    for circle in programme.circles.filter(status=Circle.Status.ACTIVE):
        seat = circle.memberships.coaches().select_related("user").first()
        if seat is None:
            continue
        coach = seat.user
        upcoming = circle.live_sessions.filter(status=LiveSession.Status.SCHEDULED, starts_at__gt=now)
        start = circle.next_meeting(after=now + dt.timedelta(hours=2))
        if start is not None and not upcoming.exists():
            local = start.astimezone(coach.zone).replace(tzinfo=None)
            title = "Círculo semanal" if circle.language == "es" else "Weekly circle"
            schedule_session(
                coach=coach,
                circle=circle,
                title=title,
                local_start=local,
                agenda="1. Open commitments\n2. One win, one struggle each\n3. Next steps",
            )
        last = circle.live_sessions.filter(status=LiveSession.Status.ENDED).order_by("-starts_at").first()
        if last is not None and not hasattr(last, "log"):
            logs.write_log(
                coach=coach,
                session=last,
                notes=(
                    "**Themes:** saying no without guilt; asking for feedback early.\n\n"
                    "- Everyone shared one win\n- We agreed to check in midweek in the chat"
                ),
            )


def describe_demo() -> dict[str, Any]:
    """What the demo holds, in the shape newcomer.md promises to scripts and tests."""
    programme = Programme.objects.get(name=PROGRAMME_NAME)
    circles = []
    for circle in programme.circles.order_by("id"):
        seats = circle.memberships.current().select_related("user").order_by("id")
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
        "sessions": [
            {"id": s.pk, "circle": s.circle_id, "status": s.status}
            for s in LiveSession.objects.filter(circle__programme=programme).order_by("starts_at", "id")
        ],
    }
