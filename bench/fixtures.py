"""Seeding "ours" for the chat benchmark: circles of 7 members who accepted the charter, one session each.

Run as `python -m bench.fixtures --database-url postgres://…/bench_ours --members N --out FILE` (the
driver does it): creates the database if needed, migrates it, makes sure ceil(N/7) circles of 7 exist
(people bulk-created, enrolled with `enrol_many`, circles and seats through `create_circle`,
`assign_member` and `accept_charter`), empties the message history, writes a fresh Django session per
member in bulk, and writes the circles and session keys as JSON for the load generator.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

CIRCLE_SIZE = 7
PROGRAMME = "Chat benchmark"
USERNAME = "bench{:05d}"


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` if it does not exist; True when it was created."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def _setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "coaching.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["DEBUG"] = "false"
    os.environ["HTTPS"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)  # seeding needs no channel layer; broadcasts stay in-process
    import django

    django.setup()


def _seed_circles(circles_needed: int) -> list[int]:
    """Ids of the first `circles_needed` full benchmark circles, creating people, seats and circles."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from circles import services
    from circles.models import AssignmentAudit, Circle, Enrolment, Membership, Programme
    from coaching.accounts.models import User

    programme, _created = Programme.objects.get_or_create(
        name=PROGRAMME, defaults={"description": "Synthetic circles for bench.chat", "languages": ["en"]}
    )
    members_needed = circles_needed * CIRCLE_SIZE
    names = [USERNAME.format(i) for i in range(1, members_needed + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        [
            User(
                username=name,
                display_name=f"Bench {name[5:]}",
                email=f"{name}@bench.invalid",
                password=unusable,
            )
            for name in names
            if name not in existing
        ],
        batch_size=2000,
    )
    people = {u.username: u for u in User.objects.filter(username__in=names)}
    services.enrol_many(programme=programme, people=[(people[n], Enrolment.Role.MEMBER) for n in names])
    seated = set(
        Membership.objects.filter(circle__programme=programme, left_at__isnull=True).values_list(
            "user__username", flat=True
        )
    )
    with transaction.atomic():
        for index in range(circles_needed):
            group = names[index * CIRCLE_SIZE : (index + 1) * CIRCLE_SIZE]
            if all(name in seated for name in group):
                continue
            circle = services.create_circle(
                actor=None,
                programme=programme,
                name=f"Bench circle {index + 1:04d}",
                language="en",
                capacity=CIRCLE_SIZE,
                status=Circle.Status.ACTIVE,
                source=AssignmentAudit.Source.COMMAND,
            )
            for name in group:
                services.assign_member(
                    actor=None, circle=circle, member=people[name], source=AssignmentAudit.Source.COMMAND
                )
                services.accept_charter(user=people[name], circle=circle)
    full = (
        Membership.objects.filter(circle__programme=programme, left_at__isnull=True)
        .values_list("circle_id", flat=True)
        .order_by("circle_id")
    )
    counts: dict[int, int] = {}
    for circle_id in full:
        counts[circle_id] = counts.get(circle_id, 0) + 1
    return [cid for cid in sorted(counts) if counts[cid] == CIRCLE_SIZE][:circles_needed]


def _reset_history() -> None:
    """Empty every room's history so the row check starts from zero."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE chat_message RESTART IDENTITY CASCADE")
        cursor.execute("UPDATE chat_room SET last_seq = 0")


def _sessions(circle_ids: list[int]) -> list[dict[str, Any]]:
    """A new signed-in Django session per seated member, written in bulk; the circles with their cookies."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    from circles.models import Membership

    model = SessionStore.get_model_class()
    model.objects.all().delete()  # a dedicated database: only benchmark sessions live here
    seats = (
        Membership.objects.filter(circle_id__in=circle_ids, left_at__isnull=True)
        .select_related("user")
        .order_by("circle_id", "id")
    )
    by_circle: dict[int, list[list[Any]]] = {cid: [] for cid in circle_ids}
    rows = []
    for seat in seats:
        store = SessionStore()
        key = get_random_string(32, VALID_KEY_CHARS)
        data = {
            SESSION_KEY: str(seat.user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: seat.user.get_session_auth_hash(),
        }
        rows.append(
            model(session_key=key, session_data=store.encode(data), expire_date=store.get_expiry_date())
        )
        by_circle[seat.circle_id].append([seat.user.pk, key])
    model.objects.bulk_create(rows, batch_size=2000)
    return [{"id": cid, "members": by_circle[cid]} for cid in circle_ids]


def seed(*, database_url: str, members: int, out: Path) -> dict[str, Any]:
    """Create, migrate and seed the database; write the fixture JSON and return it."""
    ensure_database(database_url)
    _setup_django(database_url)
    from django.conf import settings
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.monotonic()
    circle_ids = _seed_circles(math.ceil(members / CIRCLE_SIZE))
    _reset_history()
    fixture = {"cookie_name": settings.SESSION_COOKIE_NAME, "circles": _sessions(circle_ids)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture))
    print(
        f"fixtures: {len(circle_ids)} circles of {CIRCLE_SIZE} ready in {time.monotonic() - started:.1f} s "
        f"(migrate {migrated - started:.1f} s)",
        file=sys.stderr,
    )
    return fixture


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: seed a database and write the fixture file."""
    parser = argparse.ArgumentParser(prog="python -m bench.fixtures", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    seed(database_url=args.database_url, members=args.members, out=args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
