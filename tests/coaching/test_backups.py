"""Backups: deploy/backup dumps the database with its row counts, deploy/restore-drill restores the newest
dump into a scratch database and says in one line whether it holds every row; a broken dump fails it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from chat.models import Message
from coaching.accounts.models import User
from coaching.demo import seed_demo
from coaching.live.models import LiveSession

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """One of deploy/'s scripts, as cron would run it, against the test database."""
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
    }
    return subprocess.run(
        [str(ROOT / "deploy" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def command(name: str, *args: str) -> tuple[int, str, str]:
    """A management command in this process (faster than the script, same code): exit code, out, err."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def connect(dbname: str | None = None) -> psycopg.Connection[Any]:
    """A connection to the test database's server: to `dbname`, or the test database itself."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=dbname or db["NAME"],
        autocommit=True,
    )


def drill_databases() -> set[str]:
    with connect() as conn:
        return {
            row[0]
            for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'circles_drill_%'")
        }


def rows(dbname: str) -> dict[str, set[tuple[Any, ...]]]:
    """What a person would miss: every account, message and session, by content."""
    queries = {
        "people": (User, ["id", "username", "email"]),
        "messages": (Message, ["id", "room_id", "seq", "body"]),
        "sessions": (LiveSession, ["id", "title", "starts_at"]),
    }
    with connect(dbname) as conn:
        return {
            what: set(
                conn.execute(
                    sql.SQL("SELECT {} FROM {}").format(
                        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(model._meta.db_table)
                    )
                ).fetchall()
            )
            for what, (model, columns) in queries.items()
        }


@pytest.fixture
def backup_dir(tmp_path: Path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def lived_demo() -> None:
    """The demo with its eight weeks of sessions, messages, goals and concerns."""
    seed_demo(activity=True)


@pytest.fixture
def no_leftover_databases() -> Iterator[None]:
    before = drill_databases()
    yield
    assert drill_databases() == before, "the drill left its scratch database behind"


def test_a_backup_restores_into_a_copy_with_every_person_message_and_session(
    lived_demo: None, backup_dir: Path, no_leftover_databases: None
) -> None:
    people, messages, sessions = User.objects.count(), Message.objects.count(), LiveSession.objects.count()
    assert people > 5
    assert messages > 10
    assert sessions > 3
    # A dump from 40 days ago: the backup removes it (BACKUP_KEEP_DAYS is 30 by default).
    backup_dir.mkdir()
    (backup_dir / "circles-20200101T000000Z.dump").write_bytes(b"old")
    (backup_dir / "circles-20200101T000000Z.json").write_text("{}")

    made = run("backup", "--dir", str(backup_dir))

    assert made.returncode == 0, made.stderr
    assert f"{people} people, {messages} messages, {sessions} sessions" in made.stdout
    assert "1 older than 30 days removed" in made.stdout
    dumps = sorted(backup_dir.glob("*.dump"))
    assert len(dumps) == 1
    assert not (backup_dir / "circles-20200101T000000Z.json").exists()
    assert dumps[0].stat().st_mode & 0o077 == 0, "a dump holds everyone's data: its owner only"
    manifest = json.loads(dumps[0].with_suffix(".json").read_text())
    assert manifest["rows"][f"public.{Message._meta.db_table}"] == messages

    drilled = run("restore-drill", "--dir", str(backup_dir), "--keep")

    assert drilled.returncode == 0, drilled.stderr
    line = drilled.stdout.strip()
    assert line.startswith(f"restore drill OK: {dumps[0].name}")
    assert f"({people} people, {messages} messages, {sessions} sessions)" in line
    assert "migrations up to date" in line
    kept = re.search(r"kept as database (circles_drill_\w+)", line)
    assert kept is not None
    try:
        assert rows(kept[1]) == rows(connection.settings_dict["NAME"])
    finally:
        with connect() as conn:
            conn.execute(f'DROP DATABASE "{kept[1]}" WITH (FORCE)')

    # Without --keep the scratch database is dropped (the fixture checks), and the verdict is the same.
    code, out, err = command("restore_drill", str(dumps[0]))
    assert code == 0, err
    assert out.startswith(f"restore drill OK: {dumps[0].name}")
    assert "kept as" not in out


def test_a_broken_dump_fails_the_drill_with_a_clear_message(
    demo: dict[str, Any], backup_dir: Path, no_leftover_databases: None
) -> None:
    assert command("backup", "--dir", str(backup_dir))[0] == 0
    dump = next(backup_dir.glob("*.dump"))
    # Cut short, as a full disk or an interrupted copy would leave it.
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])

    code, out, err = command("restore_drill", "--dir", str(backup_dir))

    assert code == 1
    assert out == ""
    assert err.startswith(f"restore drill FAILED: {dump.name} could not be restored: pg_restore: error:")
    assert len(err.strip().splitlines()) == 1


def test_a_restore_missing_rows_fails_the_drill(
    demo: dict[str, Any], backup_dir: Path, no_leftover_databases: None
) -> None:
    assert command("backup", "--dir", str(backup_dir))[0] == 0
    dump = next(backup_dir.glob("*.dump"))
    manifest_path = dump.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    table = f"public.{User._meta.db_table}"
    had = manifest["rows"][table]
    manifest["rows"][table] = had + 1  # the source had one person more than the restore brings back
    manifest_path.write_text(json.dumps(manifest))

    code, _out, err = command("restore_drill", "--dir", str(backup_dir))

    assert code == 1
    assert err.strip() == (
        f"restore drill FAILED: the restored copy differs from the backup: {table} has {had} rows, "
        f"the backup had {had + 1}"
    )


def test_the_drill_says_when_there_is_nothing_to_restore(backup_dir: Path) -> None:
    code, _out, err = command("restore_drill", "--dir", str(backup_dir))

    assert code == 1
    assert err.strip() == (
        f"restore drill FAILED: no backup (circles-*.dump) in {backup_dir}: run deploy/backup first"
    )
