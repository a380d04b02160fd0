"""Demo progress for the demo programme: eight weeks of goals, check-ins, sessions, commitments, questions
to coaches and their answers, concerns and kudos, so every chart has something to say. Created once.

Everything is dated relative to now, through the real services where they take a time, then backdated.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from chat.access import access_room
from chat.models import Message, Room
from chat.sending import Send, Sent, send_messages
from chat.threads import open_thread
from circles.models import Circle, Membership, Programme
from coaching.accounts.models import User
from coaching.live import logs
from coaching.live.models import Attendance, Commitment, LiveSession
from coaching.progress import concerns, metrics, services
from coaching.progress.models import Goal

WEEKS = 8
SESSION_MINUTES = 90
NAMESPACE = uuid.UUID("6f1d3c1e-3a52-4d8e-9d7c-6b0f3f1a2c90")


@dataclass(frozen=True)
class DemoGoal:
    title: str
    why: str
    measure: str
    pattern: str  # one character per week, oldest first, this week last: "1" checked in, "0" missed
    base: int  # the first week's score; scores climb slowly from it


GOALS: dict[str, list[DemoGoal]] = {
    "kofi": [
        DemoGoal(
            "Lead the Q3 product launch",
            "It is my chance to show I can lead a cross-team project.",
            "Launch checklist items done each week",
            "11110111",
            4,
        ),
        DemoGoal(
            "Speak up in leadership meetings",
            "My ideas get lost when I stay quiet.",
            "Meetings where I made at least one proposal",
            "11010110",
            3,
        ),
    ],
    "grace": [
        DemoGoal(
            "Open the cooperative's second shop",
            "Twelve families depend on the first one.",
            "Steps of the opening plan completed",
            "11111111",
            5,
        )
    ],
    "james": [
        DemoGoal(
            "Sleep seven hours on weeknights",
            "I coach better when I am rested.",
            "Weeknights with seven hours of sleep",
            "11101100",
            4,
        )
    ],
    "fatima": [
        DemoGoal(
            "Apply for a team-lead role",
            "I have been doing the job without the title.",
            "Applications sent and interviews booked",
            "11110000",
            5,
        )
    ],
    "daniel": [
        DemoGoal(
            "Run better retrospectives",
            "My team stopped bringing real problems.",
            "Actions from each retro that get done",
            "00111111",
            4,
        )
    ],
}
# Everyone else gets one goal with a pattern picked from these.
OTHER_GOAL = DemoGoal(
    "Build a weekly habit of reflection",
    "I want to notice what works before I forget it.",
    "Weeks with a written reflection",
    "",
    5,
)
OTHER_PATTERNS = ["11111111", "10111011", "11011110", "01101111", "11100111", "11111101", "10110110"]


@dataclass(frozen=True)
class Exchange:
    """A member asks the coach (in the circle with a mention, or in their 1:1 thread); the coach answers."""

    days_ago: int
    clock: str  # the asker's local time, "HH:MM"
    asker: str
    question: str
    delay_minutes: int | None  # None: still unanswered
    answer: str
    thread: bool = False


EXCHANGES: dict[str, list[Exchange]] = {
    "Harambee": [
        Exchange(
            33,
            "09:10",
            "grace",
            "could you look at my pitch deck before Thursday?",
            42,
            "Yes, send it over; I will comment tonight.",
        ),
        # 23:30 in Nairobi; answered at 07:10 the next morning: across midnight.
        Exchange(
            26,
            "23:30",
            "grace",
            "quick one: how do I price my first workshop?",
            460,
            "Start from the value to the client, then check it covers your time twice.",
        ),
        # 21:00 in New York is 04:00 the next day in Nairobi: across time zones and dates.
        Exchange(
            19,
            "21:00",
            "james",
            "is it ok if I join the session late on Thursday?",
            210,
            "Of course, join when you can; we start with check-ins.",
        ),
        Exchange(
            12,
            "11:05",
            "daniel",
            "can you share the retro template?",
            25,
            "Here it is: the one with four boxes.",
        ),
        Exchange(
            12, "12:00", "kofi", "thanks! one more: the launch checklist?", 65, "Shared in the files tab."
        ),
        Exchange(
            8,
            "18:00",
            "kofi",
            "Can we talk about my promotion conversation before Friday?",
            25,
            "Yes: Wednesday 19:00 your time works for me.",
            thread=True,
        ),
        Exchange(
            5,
            "10:00",
            "grace",
            "should I hire help for the second shop now or after opening?",
            38,
            "After the first month: you will know the real load.",
        ),
        Exchange(
            2,
            "08:30",
            "kofi",
            "My manager agreed to the feedback meeting!",
            70,
            "Great news. Prepare your three questions.",
            thread=True,
        ),
        Exchange(0, "", "daniel", "are the slides from the last session shared anywhere?", None, ""),
    ],
    "Puentes": [
        Exchange(
            30,
            "10:00",
            "camila",
            "¿puedo cambiar mi compromiso de esta semana?",
            35,
            "Claro, lo vemos el martes.",
        ),
        Exchange(23, "18:45", "mateo", "¿tienes el enlace de la lectura?", 50, "Te lo envío ahora."),
        Exchange(
            16,
            "09:15",
            "valentina",
            "¿la sesión sigue siendo a las 17:00?",
            20,
            "Sí, a las 17:00 hora de Madrid.",
        ),
        Exchange(
            9,
            "21:40",
            "santiago",
            "¿me recomiendas un libro sobre negociación?",
            95,
            "«Getting to Yes», para empezar.",
        ),
        Exchange(
            3,
            "12:00",
            "isabela",
            "¿podemos hablar de mi entrevista?",
            45,
            "Sí, mañana a las 10:00.",
            thread=True,
        ),
    ],
    "Horizonte": [
        Exchange(31, "08:00", "sofia", "can we move Friday's session?", 185, "Let me ask the others first."),
        Exchange(24, "22:10", "lucas", "¿hay tarea para el viernes?", 610, "Sí: traer un ejemplo concreto."),
        Exchange(
            17,
            "13:00",
            "emma",
            "is the recording available?",
            140,
            "We do not record sessions, for confidentiality.",
        ),
        Exchange(
            10, "07:30", "olivia", "could you review my one-page plan?", 95, "Done: comments in the doc."
        ),
        Exchange(
            4, "16:20", "jorge", "¿puedo invitar a un colega a una sesión?", 240, "No: el círculo es cerrado."
        ),
    ],
}
CHATTER: dict[str, list[tuple[int, str, str]]] = {
    "Harambee": [
        (30, "kofi", "Good luck with the pitch, Grace!"),
        (29, "grace", "Thank you! It went well."),
        (20, "daniel", "Trying the new retro format tomorrow."),
        (11, "james", "Slept seven hours four nights in a row."),
        (6, "grace", "The second shop has a lease!"),
        (4, "kofi", "Launch checklist at 80%."),
        (1, "daniel", "The retro brought up a real problem this time."),
    ],
    "Puentes": [(25, "andres", "Gracias por la sesión de ayer."), (8, "camila", "Hoy tengo la entrevista.")],
    "Horizonte": [(22, "martina", "Great session today."), (6, "nicolas", "¡Conseguí la reunión!")],
}
KUDOS: list[tuple[str, str, str, int]] = [
    ("grace", "kofi", "Walked me through his launch checklist line by line", 12),
    ("daniel", "kofi", "Shared the retro template and helped me adapt it to my team", 10),
    ("kofi", "grace", "Introduced me to two suppliers for the launch event", 6),
    ("james", "daniel", "Covered my check-in when I was travelling", 3),
    ("camila", "valentina", "Me ayudó a preparar la entrevista", 7),
    ("sofia", "olivia", "Reviewed my plan and found the gap in the budget", 5),
]


def _at(now: dt.datetime, *, days_ago: int, clock: str, zone: ZoneInfo) -> dt.datetime:
    day = now.astimezone(zone).date() - dt.timedelta(days=days_ago)
    hours, minutes = (int(part) for part in clock.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=zone)


def _say(author: User, room: Room, body: str, at: dt.datetime) -> Message:
    client_id = uuid.uuid5(NAMESPACE, f"{room.pk}:{author.pk}:{at.isoformat()}")
    (sent,) = send_messages(sends=[Send(author=author, room=room, client_id=client_id, body=body)])
    assert isinstance(sent, Sent), sent
    message = sent.message
    Message.objects.filter(pk=message.pk).update(created_at=at)
    return message


def _score(goal: DemoGoal, week: int, person: int) -> int:
    # A slow climb with a wobble, different for each person.
    return max(1, min(10, goal.base + week // 2 + ((week + person) % 3 == 0) - ((week + person) % 5 == 0)))


def _goals(member: User, specs: list[DemoGoal], *, index: int, now: dt.datetime) -> None:
    zone = member.zone
    this_week = metrics.week_of(now, zone)
    for spec in specs:
        first = spec.pattern.find("1")
        start = metrics.week_start(this_week - metrics.WEEK * (WEEKS - first), zone) + dt.timedelta(days=5)
        goal = services.set_goal(
            member=member, title=spec.title, why=spec.why, measure=spec.measure, now=start
        )
        for week, flag in enumerate(spec.pattern):
            if flag != "1":
                continue
            monday = this_week - metrics.WEEK * (WEEKS - 1 - week)
            moment = metrics.week_start(monday, zone) + dt.timedelta(days=2, hours=19)
            if monday == this_week:
                moment = max(metrics.week_start(monday, zone), min(moment, now - dt.timedelta(minutes=30)))
            services.check_in(member=member, goal=goal, score=_score(spec, week, index), now=moment)


def _sessions(circle: Circle, coach: User, members: list[User], *, now: dt.datetime) -> list[LiveSession]:
    sessions = []
    start = circle.next_meeting(after=now - metrics.WEEK * WEEKS)
    while start is not None and start + dt.timedelta(minutes=SESSION_MINUTES) < now:
        sessions.append(
            LiveSession.objects.create(
                circle=circle,
                title="Weekly circle" if circle.language == "en" else "Círculo semanal",
                starts_at=start,
                duration_minutes=SESSION_MINUTES,
                timezone=circle.meeting_timezone,
                status=LiveSession.Status.ENDED,
                started_at=start,
                ended_at=start + dt.timedelta(minutes=SESSION_MINUTES),
                created_by=coach,
            )
        )
        start = start + metrics.WEEK
    full = SESSION_MINUTES * 60
    for number, session in enumerate(sessions):
        recent = number >= len(sessions) - 2
        for index, member in enumerate(members):
            roll = (number * 7 + index * 3) % 8
            if (
                (member.username == "fatima" and recent)
                or roll == 0
                or (member.username == "kofi" and number == 3)
            ):
                continue  # absent
            partial = roll == 1 or (member.username == "kofi" and number == 5)
            seconds = full // 2 if partial else full - 120 * (roll % 3)
            Attendance.objects.create(
                session=session,
                user=member,
                joined_at=session.starts_at + dt.timedelta(seconds=full - seconds),
                left_at=session.ended_at,
                seconds_present=seconds,
                present=True,
            )
    return sessions


def _close(member: User, commitment: Commitment, status: str, note: str, at: dt.datetime) -> None:
    logs.close_commitment(member=member, commitment=commitment, status=status, note=note)
    Commitment.objects.filter(pk=commitment.pk).update(closed_at=at)


def _commitments(
    coach: User, sessions: list[LiveSession], people: dict[str, User], *, variant: int, now: dt.datetime
) -> None:
    if len(sessions) < 3:
        return
    early, late, last = sessions[-5] if len(sessions) >= 5 else sessions[0], sessions[-2], sessions[-1]
    # Kofi (the demo's member) first, so his page shows one commitment kept and one overdue.
    members = sorted(people.values(), key=lambda person: person.username != "kofi")
    if len(members) < 5:
        return
    plans = [
        (
            early,
            members[0],
            "Send three proposals to potential partners",
            6,
            "done",
            -1,
            "Sent four, two replied",
        ),
        (early, members[1], "Draft the budget for next quarter", 7, "done", 3, "Took longer than planned"),
        (
            early,
            members[2],
            "Book a call with a mentor",
            7,
            "dropped",
            2,
            "My mentor moved abroad; I will find another",
        ),
        (late, members[0], "Ask my manager for feedback on the plan", 2, "open", 0, ""),
        (late, members[3], "Update my CV", 3, "open", 0, ""),
        (
            late,
            members[4],
            "Try the new format with my team",
            4,
            "done",
            -2,
            "It worked better than expected",
        ),
        (last, members[1], "Share my template with the circle", 10, "open", 0, ""),
    ]
    # Circles differ a little, so the programme's chart compares something.
    if variant == 1:
        plans[1] = (*plans[1][:5], -1, "Done a day early")
    elif variant == 2:
        plans[5] = (*plans[5][:4], "open", 0, "")
    for session, member, text, due_in, status, closed_after, note in plans:
        session_day = session.starts_at.astimezone(ZoneInfo(session.timezone)).date()
        (commitment,) = logs.add_commitments(
            coach=coach,
            session=session,
            drafts=[
                logs.CommitmentDraft(member=member, text=text, due_on=session_day + dt.timedelta(days=due_in))
            ],
        )
        if status != "open":
            closed = dt.datetime.combine(
                commitment.due_on + dt.timedelta(days=closed_after), dt.time(18), tzinfo=member.zone
            )
            _close(member, commitment, status, note, min(closed, now - dt.timedelta(hours=1)))


def _conversations(circle: Circle, coach: User, people: dict[str, User], *, now: dt.datetime) -> None:
    room = access_room(coach, circle.pk)
    said: list[tuple[dt.datetime, User, Room, str]] = []
    for days_ago, username, body in CHATTER.get(circle.name, []):
        said.append(
            (
                _at(now, days_ago=days_ago, clock="12:00", zone=people[username].zone),
                people[username],
                room,
                body,
            )
        )
    for exchange in EXCHANGES.get(circle.name, []):
        asker = people[exchange.asker]
        where = open_thread(coach=coach, member=asker).room if exchange.thread else room
        asked = (
            now - dt.timedelta(hours=3)
            if not exchange.clock
            else _at(now, days_ago=exchange.days_ago, clock=exchange.clock, zone=asker.zone)
        )
        body = exchange.question if exchange.thread else f"@{coach.username} {exchange.question}"
        said.append((asked, asker, where, body))
        if exchange.delay_minutes is not None:
            said.append((asked + dt.timedelta(minutes=exchange.delay_minutes), coach, where, exchange.answer))
    # In order of time, so each room's sequence numbers follow its clock.
    for at, author, where, body in sorted(said, key=lambda item: item[0]):
        if at < now:
            _say(author, where, body, at)


def _concerns(circles: dict[str, Circle], people: dict[str, User], *, now: dt.datetime) -> None:
    harambee, puentes = circles.get("Harambee"), circles.get("Puentes")
    if harambee is not None and {"kofi", "grace", "amani.coach"} <= people.keys():
        raised = now - dt.timedelta(days=9, hours=2)
        clash = concerns.raise_concern(
            member=people["kofi"],
            circle=harambee,
            to="coach",
            subject="Session time clashes with my new shift",
            text="From next month I work Thursday afternoons, so I may miss most sessions.",
            now=raised,
        )
        concerns.answer_concern(
            responder=people["amani.coach"],
            concern=clash,
            text="Thank you for telling me early. I will ask the circle about moving to Wednesday.",
            now=raised + dt.timedelta(hours=2, minutes=15),
        )
        concerns.raise_concern(
            member=people["grace"],
            circle=harambee,
            to="admins",
            subject="A member keeps promoting his business",
            text=(
                "In the last two sessions someone pitched his consulting services to us. "
                "It makes me uncomfortable."
            ),
            now=now - dt.timedelta(hours=6),
        )
    if puentes is not None and "camila" in people:
        concerns.raise_concern(
            member=people["camila"],
            circle=puentes,
            to="coach",
            subject="No me siento escuchada en las sesiones",
            text="Cuando hablo, la conversación cambia de tema enseguida.",
            now=now - dt.timedelta(hours=20),
        )


@transaction.atomic
def seed_progress(programme: Programme, *, now: dt.datetime | None = None) -> None:
    """Give the demo programme's circles eight weeks of progress; does nothing if any demo goal exists."""
    now = now or timezone.now()
    seats = list(
        Membership.objects.current().filter(circle__programme=programme).select_related("user", "circle")
    )
    if not seats or Goal.objects.filter(member__in=[s.user for s in seats]).exists():
        return
    # The people joined when the programme started, not when the demo was created.
    joined = now - metrics.WEEK * (WEEKS + 1)
    Membership.objects.filter(pk__in=[s.pk for s in seats], joined_at__gt=joined).update(joined_at=joined)
    for seat in seats:
        seat.joined_at = min(seat.joined_at, joined)

    people = {s.user.username: s.user for s in seats}
    circles: dict[str, Circle] = {}
    for index, seat in enumerate(s for s in seats if s.role == Membership.Role.MEMBER):
        specs = GOALS.get(seat.user.username) or [
            DemoGoal(
                OTHER_GOAL.title, OTHER_GOAL.why, OTHER_GOAL.measure, OTHER_PATTERNS[index % 7], 4 + index % 3
            )
        ]
        _goals(seat.user, specs, index=index, now=now)
    for variant, circle in enumerate(sorted({s.circle for s in seats}, key=lambda c: c.name)):
        circles[circle.name] = circle
        coach = next(
            (s.user for s in seats if s.circle_id == circle.pk and s.role == Membership.Role.COACH), None
        )
        if coach is None:
            continue
        members = [s.user for s in seats if s.circle_id == circle.pk and s.role == Membership.Role.MEMBER]
        sessions = _sessions(circle, coach, members, now=now)
        _commitments(coach, sessions, {m.username: m for m in members}, variant=variant, now=now)
        _conversations(circle, coach, people, now=now)
    if "kofi" in people and "Harambee" in circles:
        services.set_commitment(
            member=people["kofi"],
            circle=circles["Harambee"],
            text="Practise my launch talk twice",
            due_on=now.astimezone(people["kofi"].zone).date() + dt.timedelta(days=5),
            now=now,
        )
    for giver, receiver, what, days_ago in KUDOS:
        if giver in people and receiver in people:
            circle = next(
                s.circle for s in seats if s.user.username == receiver and s.role == Membership.Role.MEMBER
            )
            services.give_kudos(
                giver=people[giver],
                receiver=people[receiver],
                circle=circle,
                contribution=what,
                now=now - dt.timedelta(days=days_ago),
            )
    _concerns(circles, people, now=now)
