"""Search benchmark: `python -m bench.search [--quick]`; a table, and var/bench-search.json.

One programme in a dedicated PostgreSQL database (bench_search): 200 circles of 7 members and a coach
(50 coaches with 4 circles each, half the people writing in Spanish), every coach-member 1:1 thread, and
1,000,000 messages (100,000 with --quick): 90% in the circles, 10% in the threads. People, circles, seats
and threads come through the services; the messages are generated inside PostgreSQL (generate_series,
words drawn from an English and a Spanish vocabulary with a skew, so some words are common and most
rare), then the GIN index is rebuilt and the table analysed. Kept between runs.

Each query is one `chat.search.search` call (the page's work: readable rooms, ranked ids, the page with
its snippets) for a member (a circle and a thread, about 5,000 messages) or a coach (4 circles and 28
threads, about 20,000), over common, rare, two-word, accented and missing words; every query runs in
every round, in a shuffled order, after three untimed rounds. Medians and 95th percentiles in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.fixtures import ensure_database

ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = "Search benchmark"
CIRCLES = 200
CIRCLES_PER_COACH = 4
MEMBERS_PER_CIRCLE = 7
LARGE = 1_000_000
QUICK = 100_000
THREAD_SHARE = 0.1
TARGET_MS = 200.0

ENGLISH_WORDS = (
    "goal plan week meeting progress habit team project feedback practice confidence career interview "
    "deadline budget client presentation leadership conflict energy morning evening routine focus "
    "balance stress sleep exercise family manager promotion skills learning reading writing workshop "
    "network mentor pitch idea launch customer report review quarter target milestone success failure "
    "lesson story question answer advice support challenge change decision priority"
)
SPANISH_WORDS = (
    "meta plan semana reunión progreso hábito equipo proyecto comentario práctica confianza carrera "
    "entrevista plazo presupuesto cliente presentación liderazgo conflicto energía mañana tarde rutina "
    "enfoque equilibrio estrés sueño ejercicio familia jefe ascenso habilidades aprendizaje lectura "
    "escritura taller red mentora propuesta idea lanzamiento informe revisión trimestre objetivo logro "
    "éxito fracaso lección historia pregunta respuesta consejo apoyo desafío cambio decisión prioridad"
)
FILLER = "the a and to of in for with on is it that we you I my our this was are be have but not so"
RELLENO = "el la y de en para con por es que lo un una mi nuestro este fue son ser pero no así muy"

QUERIES = (
    "goal",  # common
    "meetings",  # stemmed to a common word
    "reunión",  # Spanish, accented
    "reunion",  # the same without the accent
    "presupuestos cliente",  # two Spanish words, one stemmed
    "career interview",  # two English words
    "milestone -failure",  # an exclusion
    '"team project"',  # a phrase
    "quokka",  # in no message
    "lanzamiento",  # rarer
)


def _setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "coaching.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-search-" + "x" * 50)
    os.environ["DEBUG"] = "false"
    os.environ["HTTPS"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _people() -> tuple[list[Any], list[Any]]:
    """The coaches and members of the benchmark programme, created (through the services) once."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from chat import threads
    from circles import services
    from circles.models import AssignmentAudit, Circle, Enrolment, Programme
    from coaching.accounts.models import User

    programme, _ = Programme.objects.get_or_create(name=PROGRAMME, defaults={"languages": ["en", "es"]})
    coaches_needed = CIRCLES // CIRCLES_PER_COACH
    members_needed = CIRCLES * MEMBERS_PER_CIRCLE
    names = [f"search-coach-{i:03d}" for i in range(coaches_needed)]
    names += [f"search-member-{i:04d}" for i in range(members_needed)]
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                username=name,
                display_name=name.replace("-", " ").title(),
                email=f"{name}@bench.invalid",
                password=unusable,
                ui_language="es" if i % 2 else "en",
            )
            for i, name in enumerate(names)
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    people = {user.username: user for user in User.objects.filter(username__in=names)}
    coaches = [people[name] for name in names[:coaches_needed]]
    members = [people[name] for name in names[coaches_needed:]]
    if Circle.objects.filter(programme=programme).count() == CIRCLES:
        return coaches, members
    services.enrol_many(
        programme=programme,
        people=[(c, str(Enrolment.Role.COACH)) for c in coaches]
        + [(m, str(Enrolment.Role.MEMBER)) for m in members],
    )
    with transaction.atomic():
        for index in range(CIRCLES):
            coach = coaches[index // CIRCLES_PER_COACH]
            circle = services.create_circle(
                actor=None,
                programme=programme,
                name=f"Search circle {index + 1:03d}",
                language="en",
                capacity=MEMBERS_PER_CIRCLE,
                coach=coach,
                status=Circle.Status.ACTIVE,
                source=AssignmentAudit.Source.COMMAND,
            )
            for member in members[index * MEMBERS_PER_CIRCLE : (index + 1) * MEMBERS_PER_CIRCLE]:
                services.assign_member(
                    actor=None, circle=circle, member=member, source=AssignmentAudit.Source.COMMAND
                )
                services.accept_charter(user=member, circle=circle)
                threads.open_thread(coach=coach, member=member)
    return coaches, members


_FILL = """
WITH vocab AS (SELECT %(english)s::text[] AS en, %(spanish)s::text[] AS es,
                      %(filler)s::text[] AS fen, %(relleno)s::text[] AS fes),
rooms AS (
    SELECT r.id AS room_id, CASE WHEN r.kind = 'circle' THEN %(per_circle)s ELSE %(per_thread)s END AS n,
           array_agg(p.user_id) AS authors
    FROM chat_room AS r
    JOIN (
        SELECT c.id AS room_id, m.user_id FROM chat_room AS c JOIN circles_membership AS m
            ON m.circle_id = c.circle_id AND m.left_at IS NULL
        UNION ALL SELECT room_id, coach_id FROM chat_thread
        UNION ALL SELECT room_id, member_id FROM chat_thread
    ) AS p ON p.room_id = r.id
    WHERE r.id = ANY(%(rooms)s)
    GROUP BY r.id, r.kind
),
picked AS (
    SELECT rooms.room_id, g AS seq,
           rooms.authors[1 + floor(random() * cardinality(rooms.authors))::int] AS author_id
    FROM rooms, generate_series(1, rooms.n) AS g
)
INSERT INTO chat_message (room_id, seq, author_id, client_id, body, html, created_at, language)
SELECT picked.room_id, picked.seq, picked.author_id, gen_random_uuid(),
       body.text, '<p>' || body.text || '</p>',
       timestamptz '2026-01-01' + picked.seq * interval '7 minutes', u.ui_language
FROM picked
JOIN accounts_user AS u ON u.id = picked.author_id
CROSS JOIN vocab
CROSS JOIN LATERAL (
    SELECT CASE WHEN u.ui_language = 'es' THEN vocab.es ELSE vocab.en END AS words,
           CASE WHEN u.ui_language = 'es' THEN vocab.fes ELSE vocab.fen END AS fill
) AS lang
CROSS JOIN LATERAL (
    -- 6 to 18 words: 40%% filler, the rest skewed towards the start of the vocabulary (common words).
    -- (`w.i > 0` ties the aggregate to this level: its other inputs are all the outer row's.)
    SELECT string_agg(
        CASE WHEN w.i > 0 AND random() < 0.4
            THEN lang.fill[1 + floor(random() * cardinality(lang.fill))::int]
            ELSE lang.words[1 + floor(power(random(), 2.2) * cardinality(lang.words))::int]
        END, ' ') AS text
    FROM generate_series(1, 6 + picked.seq %% 13) AS w(i)
) AS body
"""


def _fill(total: int) -> float:
    """Make the programme's rooms hold `total` messages; seconds spent (0 when they already did)."""
    from django.db import connection

    from chat.access import circle_room_of
    from chat.models import Message, Room
    from circles.models import Programme

    programme = Programme.objects.get(name=PROGRAMME)
    circle_rooms = [
        circle_room_of(pk).pk for pk in programme.circles.order_by("pk").values_list("pk", flat=True)
    ]
    # The benchmark database holds this programme only: every thread is one of its coach-member threads.
    thread_rooms = list(Room.objects.filter(kind=Room.Kind.THREAD).values_list("pk", flat=True))
    rooms = circle_rooms + thread_rooms
    per_thread = round(total * THREAD_SHARE / len(thread_rooms))
    per_circle = (total - per_thread * len(thread_rooms)) // len(circle_rooms)
    if Message.objects.filter(room_id__in=rooms).count() == per_circle * len(circle_rooms) + per_thread * len(
        thread_rooms
    ):
        return 0.0
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE chat_message RESTART IDENTITY CASCADE")
        cursor.execute("DROP INDEX IF EXISTS chat_message_search_gin")  # built once at the end: much faster
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(
            _FILL,
            {
                "english": ENGLISH_WORDS.split(),
                "spanish": SPANISH_WORDS.split(),
                "filler": FILLER.split(),
                "relleno": RELLENO.split(),
                "per_circle": per_circle,
                "per_thread": per_thread,
                "rooms": rooms,
            },
        )
        cursor.execute("CREATE INDEX chat_message_search_gin ON chat_message USING gin (search_document)")
        cursor.execute(
            "UPDATE chat_room SET last_seq = "
            "COALESCE((SELECT max(seq) FROM chat_message AS m WHERE m.room_id = chat_room.id), 0)"
        )
        cursor.execute("ANALYZE chat_message")
    return time.monotonic() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(*, total: int, repeats: int, database_url: str) -> dict[str, Any]:
    """Seed if needed, then time every (reader, query) `repeats` times; the results."""
    ensure_database(database_url)
    _setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection

    from chat import search
    from chat.access import readable_rooms
    from chat.models import Message

    call_command("migrate", verbosity=0, interactive=False)
    coaches, members = _people()
    seeding = round(_fill(total), 1)
    stored = Message.objects.count()
    rng = random.Random(2026)
    readers = [("member", m) for m in rng.sample(members, 3)] + [("coach", c) for c in rng.sample(coaches, 2)]
    plan = [(kind, reader, query) for kind, reader in readers for query in QUERIES]  # 50 queries
    times: dict[int, list[float]] = {i: [] for i in range(len(plan))}
    found: dict[int, int] = {}
    for rep in range(repeats + 3):  # three untimed rounds warm the caches
        order = list(range(len(plan)))
        random.Random(rep).shuffle(order)
        for i in order:
            _kind, reader, query = plan[i]
            started = time.perf_counter()
            results = search.search(user=reader, criteria=search.Criteria(query=query))
            elapsed = time.perf_counter() - started
            found[i] = len(results.hits)
            if rep >= 3:
                times[i].append(elapsed * 1000)
    scope = {
        kind: Message.objects.filter(room__in=readable_rooms(reader)).count() for kind, reader in readers[2:4]
    }
    all_ms = [ms for series in times.values() for ms in series]
    per_query = {}
    for query in QUERIES:
        ms = [t for i, (_k, _r, q) in enumerate(plan) if q == query for t in times[i]]
        per_query[query] = {
            "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(_percentile(ms, 0.95), 2),
            "hits_on_first_page": [found[i] for i, (_k, _r, q) in enumerate(plan) if q == query],
        }
    per_reader = {}
    for kind in ("member", "coach"):
        ms = [t for i, (k, _r, _q) in enumerate(plan) if k == kind for t in times[i]]
        per_reader[kind] = {
            "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(_percentile(ms, 0.95), 2),
        }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('chat_message_search_gin'))")
        (index_size,) = cursor.fetchone() or ("?",)
    return {
        "messages": stored,
        "seeding_s": seeding,
        "queries": len(plan),
        "messages_readable": scope,
        "median_ms": round(statistics.median(all_ms), 2),
        "p95_ms": round(_percentile(all_ms, 0.95), 2),
        "per_query": per_query,
        "per_reader": per_reader,
        "gin_index_size": index_size,
    }


def table(result: dict[str, Any]) -> str:
    """The per-query figures as a Markdown table."""
    lines = ["| query | median ms | p95 ms | hits on page 1 (3 members, 2 coaches) |", "|---|---|---|---|"]
    for query, row in result["per_query"].items():
        hits = ", ".join(str(n) for n in row["hits_on_first_page"])
        lines.append(f"| `{query}` | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | {hits} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Seed, measure, print and write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} messages, fewer repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 11, quick 3)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="any database on the PostgreSQL server; bench_search is created beside it",
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    total = QUICK if args.quick else LARGE
    repeats = args.repeats or (3 if args.quick else 11)
    name = "bench_search_quick" if args.quick else "bench_search"
    database_url = urlunsplit(urlsplit(args.pg_url)._replace(path=f"/{name}"))
    output = args.output or ROOT / "var" / f"{name.replace('_', '-')}.json"
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    result = measure(total=total, repeats=repeats, database_url=database_url)
    report = {
        "command": "python -m bench.search" + (" --quick" if args.quick else ""),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "repeats": repeats,
        "elapsed_s": round(time.monotonic() - started, 1),
        "target_median_ms": TARGET_MS,
        **result,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(table(result))
    print(
        f"\n{result['messages']:,} messages, {result['queries']} queries x {repeats}: median "
        f"{result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms (target median < {TARGET_MS:.0f} ms: "
        f"{'met' if result['median_ms'] < TARGET_MS else 'NOT met'}); "
        f"members {result['per_reader']['member']}, coaches {result['per_reader']['coach']}; "
        f"readable {result['messages_readable']}; "
        f"GIN {result['gin_index_size']}; seeding {result['seeding_s']} s; load average {load_before}; "
        f"JSON in {output}",
        file=sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
