"""History benchmark: `python -m bench.history [--quick]`; a table, and var/bench-history.json.

Two rooms in a dedicated PostgreSQL database (bench_history), one with 1,000 messages and one with
1,000,000 (100,000 with --quick), bulk-loaded with COPY once and kept between runs. A page of 50 is
fetched at the newest, middle and oldest positions, through the HTTP API (Django's test Client:
`GET /api/circles/<id>/messages/?before_seq=N&limit=50`, middleware, session auth and JSON included)
and through `sync` (a sync batch: `selectors.messages_after(limit=50)`, and `selectors.sync_page` for a
client 50 messages behind). The two rooms take turns within every repeat; each figure is a median, and
the ratio large/small per position has a target of at most 1.5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.fixtures import ensure_database

ROOT = Path(__file__).resolve().parent.parent
SMALL = 1_000
LARGE = 1_000_000
QUICK_LARGE = 100_000
PAGE = 50
TARGET = 1.5
BODY_PAD = "lorem ipsum dolor sit amet, consectetur adipiscing elit " * 2


def _setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "coaching.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-history-" + "x" * 50)
    os.environ["DEBUG"] = "false"
    os.environ["HTTPS"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _reader_and_circle(name: str) -> tuple[Any, Any]:
    """A member who accepted the charter of circle `name` (created through the services once)."""
    from circles import services
    from circles.models import AssignmentAudit, Circle, Enrolment, Membership, Programme
    from coaching.accounts.models import User

    programme, _ = Programme.objects.get_or_create(name="History benchmark", defaults={"languages": ["en"]})
    user, _ = User.objects.get_or_create(
        username=f"history-{name}",
        defaults={"display_name": f"History {name}", "email": f"{name}@bench.invalid"},
    )
    circle = Circle.objects.filter(programme=programme, name=f"History {name}").first()
    if circle is None:
        services.enrol(programme=programme, user=user, role=Enrolment.Role.MEMBER)
        circle = services.create_circle(
            actor=None,
            programme=programme,
            name=f"History {name}",
            language="en",
            status=Circle.Status.ACTIVE,
            source=AssignmentAudit.Source.COMMAND,
        )
    if not Membership.objects.filter(circle=circle, user=user, left_at__isnull=True).exists():
        services.assign_member(actor=None, circle=circle, member=user, source=AssignmentAudit.Source.COMMAND)
    services.accept_charter(user=user, circle=circle)
    return user, circle


def _fill(room: Any, author: Any, count: int) -> float:
    """Make the room hold exactly `count` messages (seq 1..count) with COPY; seconds spent (0 when it did)."""
    from django.db import connection, transaction

    from chat.models import Message

    if room.last_seq == count and Message.objects.filter(room=room).count() == count:
        return 0.0
    started = time.monotonic()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with transaction.atomic():
        with connection.cursor() as cursor:  # nothing refers to these rows in the benchmark database
            cursor.execute("DELETE FROM chat_message WHERE room_id = %s", [room.pk])
        connection.ensure_connection()
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            columns = "room_id, seq, author_id, client_id, body, html, created_at"
            with cursor.copy(f"COPY chat_message ({columns}) FROM STDIN") as copy:
                for seq in range(1, count + 1):
                    body = f"message {seq}: {BODY_PAD}"
                    copy.write_row(
                        (
                            room.pk,
                            seq,
                            author.pk,
                            uuid.uuid4(),
                            body,
                            f"<p>{body}</p>",
                            start + dt.timedelta(seconds=seq),
                        )
                    )
        type(room).objects.filter(pk=room.pk).update(last_seq=count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chat_message")
    room.refresh_from_db()
    return time.monotonic() - started


def _timed(fn: Callable[[], int]) -> float:
    started = time.perf_counter()
    got = fn()
    elapsed = time.perf_counter() - started
    if got != PAGE:
        raise RuntimeError(f"expected a page of {PAGE}, got {got}")
    return elapsed


def measure(*, large: int, repeats: int, database_url: str) -> dict[str, Any]:
    """Seed both rooms if needed and time every (method, position) on both; the results."""
    ensure_database(database_url)
    _setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from chat import access, selectors

    call_command("migrate", verbosity=0, interactive=False)
    rooms: dict[int, Any] = {}
    clients: dict[int, Client] = {}
    seeding: dict[int, float] = {}
    for size in (SMALL, large):
        user, circle = _reader_and_circle(f"{size}")
        room = access.access_room(user, circle.pk)
        seeding[size] = round(_fill(room, user, size), 1)
        rooms[size] = room
        client = Client()
        client.force_login(user)
        clients[size] = client

    def http(size: int, before: int) -> Callable[[], int]:
        url = f"/api/circles/{rooms[size].circle_id}/messages/?before_seq={before}&limit={PAGE}"

        def fetch() -> int:
            response = clients[size].get(url)
            assert response.status_code == 200, response.status_code
            return len(response.json()["messages"])

        return fetch

    def batch(size: int, after: int) -> Callable[[], int]:
        return lambda: len(selectors.messages_after(room=rooms[size], after_seq=after, limit=PAGE))

    def catch_up(size: int) -> Callable[[], int]:
        after = rooms[size].last_seq - PAGE
        return lambda: len(selectors.sync_page(room=rooms[size], after_seq=after).messages)

    def cases(size: int) -> dict[tuple[str, str], Callable[[], int]]:
        last = rooms[size].last_seq
        return {
            ("http before_seq", "newest"): http(size, last + 1),
            ("http before_seq", "middle"): http(size, last // 2),
            ("http before_seq", "oldest"): http(size, PAGE + 1),
            ("sync batch after_seq", "newest"): batch(size, last - PAGE),
            ("sync batch after_seq", "middle"): batch(size, last // 2),
            ("sync batch after_seq", "oldest"): batch(size, 0),
            ("sync_page (50 behind)", "newest"): catch_up(size),
        }

    plan = {size: cases(size) for size in rooms}
    times: dict[tuple[str, str, int], list[float]] = {}
    for rep in range(repeats + 3):  # three untimed rounds warm the caches
        order = [(size, key) for size in rooms for key in plan[size]]
        random.Random(rep).shuffle(order)
        for size, key in order:
            elapsed = _timed(plan[size][key])
            if rep >= 3:
                times.setdefault((*key, size), []).append(elapsed)

    queries: dict[str, int] = {}
    for key, fn in plan[large].items():
        with CaptureQueriesContext(connection) as captured:
            fn()
        queries[f"{key[0]} / {key[1]}"] = len(captured.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT * FROM chat_message WHERE room_id = %s AND seq < %s ORDER BY seq DESC LIMIT 51",
            [rooms[large].pk, PAGE + 1],
        )
        plan_text = [row[0] for row in cursor.fetchall()]

    rows = []
    for method, position in plan[large]:
        small_ms = statistics.median(times[(method, position, SMALL)]) * 1000
        large_ms = statistics.median(times[(method, position, large)]) * 1000
        rows.append(
            {
                "method": method,
                "position": position,
                "small_ms": round(small_ms, 3),
                "large_ms": round(large_ms, 3),
                "ratio": round(large_ms / small_ms, 2),
                "queries": queries[f"{method} / {position}"],
            }
        )
    return {"rows": rows, "seeding_s": seeding, "plan_oldest_page": plan_text}


def table(rows: list[dict[str, Any]], large: int) -> str:
    """The result as a Markdown table."""
    lines = [
        f"| method | position | {SMALL:,} msgs ms | {large:,} msgs ms | ratio | queries |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['position']} | {r['small_ms']:.2f} | {r['large_ms']:.2f} "
            f"| {r['ratio']:.2f} | {r['queries']} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Seed, measure, print and write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_LARGE:,} messages, fewer repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 51, quick 15)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="any database on the PostgreSQL server; bench_history is created beside it",
    )
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    large = QUICK_LARGE if args.quick else LARGE
    repeats = args.repeats or (15 if args.quick else 51)
    database_url = urlunsplit(urlsplit(args.pg_url)._replace(path="/bench_history"))
    name = "bench-history-quick.json" if args.quick else "bench-history.json"
    output = args.output or ROOT / "var" / name
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.monotonic()
    result = measure(large=large, repeats=repeats, database_url=database_url)
    worst = max(r["ratio"] for r in result["rows"])
    report = {
        "command": "python -m bench.history" + (" --quick" if args.quick else ""),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "sizes": [SMALL, large],
        "page": PAGE,
        "repeats": repeats,
        "elapsed_s": round(time.monotonic() - started, 1),
        "worst_ratio": worst,
        "target": TARGET,
        **result,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1))
    print(table(result["rows"], large))
    print(
        f"\nworst ratio {large:,}/{SMALL:,} = {worst:.2f} (target <= {TARGET}): "
        f"{'met' if worst <= TARGET else 'NOT met'}; medians of {repeats}; seeding {result['seeding_s']} s; "
        f"load average {load_before}; JSON in {output}",
        file=sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
