"""Backups: `make_backup` writes a pg_dump (custom format) and, beside it, the row count of every table
taken in the same snapshot; `restore_drill` restores a dump into a scratch database and checks it.

The drill compares the restored rows with the counts recorded at backup time, not with the live database,
which has moved on since. Procedure and schedule: docs/operations.md ("Backups and restore").
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from psycopg import sql
from psycopg.conninfo import make_conninfo

NAME = re.compile(r"^circles-(\d{8}T\d{6}Z)\.dump$")
STAMP = "%Y%m%dT%H%M%SZ"
# The rows the drill's verdict names: people, chat messages, live sessions.
KEY_MODELS = {"people": "accounts.User", "messages": "chat.Message", "sessions": "live.LiveSession"}
TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'
    ORDER BY 1, 2
"""


class BackupError(Exception):
    """A backup or a drill failed; the message says what, in one line."""


@dataclass(frozen=True)
class Backup:
    dump: Path
    size: int
    rows: dict[str, int]
    removed: list[Path]


@dataclass(frozen=True)
class Drill:
    dump: Path
    taken_at: str
    seconds: float
    rows: dict[str, int]
    kept: str | None  # the scratch database's name, when asked to keep it


# ------------------------------------------------------------------ the database's address


def _database() -> dict[str, Any]:
    if connection.vendor != "postgresql":
        raise BackupError(
            "backups need PostgreSQL (DATABASE_URL=postgres://…); the embedded SQLite database is one "
            "file: copy it while the processes are stopped"
        )
    return connection.settings_dict


def _libpq(dbname: str) -> dict[str, str]:
    """Connection parameters for psycopg and, as PG* variables, for pg_dump and pg_restore (no password
    on a command line, where `ps` would show it)."""
    db = _database()
    params = {
        "host": str(db.get("HOST") or ""),
        "port": str(db.get("PORT") or ""),
        "user": str(db.get("USER") or ""),
        "password": str(db.get("PASSWORD") or ""),
        "sslmode": str(db.get("OPTIONS", {}).get("sslmode") or ""),
        "dbname": dbname,
    }
    return {key: value for key, value in params.items() if value}


def _connect(dbname: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    return psycopg.connect(make_conninfo(**_libpq(dbname)), autocommit=autocommit)


def _pg_env(dbname: str) -> dict[str, str]:
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
    names |= {"sslmode": "PGSSLMODE", "dbname": "PGDATABASE"}
    return {**os.environ, **{names[key]: value for key, value in _libpq(dbname).items()}}


def _run(command: list[str], *, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed: install the PostgreSQL client of the server's major version"
        ) from None


def _first_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    return (errors or lines or ["no message"])[0]


def _count(conn: psycopg.Connection[Any]) -> dict[str, int]:
    rows = {}
    for schema, table in conn.execute(TABLES).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        found = conn.execute(query).fetchone()
        rows[f"{schema}.{table}"] = int(found[0]) if found else 0
    return rows


# ------------------------------------------------------------------ backup


def make_backup(*, directory: Path, keep_days: int, now: dt.datetime | None = None) -> Backup:
    """Dump the database to `directory`/circles-<UTC time>.dump (+ .json: the row counts of the same
    snapshot), readable by its owner only; then remove dumps older than `keep_days`."""
    now = now or dt.datetime.now(dt.UTC)
    source = str(_database()["NAME"])
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"circles-{now:{STAMP}}"
    dump, partial = directory / f"{name}.dump", directory / f"{name}.dump.partial"
    try:
        with _connect(source) as conn:
            # One snapshot for the counts and for pg_dump (--snapshot), so the counts are exactly the dump's.
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot_row = conn.execute("SELECT pg_export_snapshot()").fetchone()
            rows = _count(conn)
            old_umask = os.umask(0o077)  # the dump holds everyone's personal data
            try:
                done = _run(
                    [
                        "pg_dump",
                        "--format=custom",
                        f"--snapshot={snapshot_row[0] if snapshot_row else ''}",
                        f"--file={partial}",
                    ],
                    env=_pg_env(source),
                )
            finally:
                os.umask(old_umask)
            conn.rollback()
            server = conn.info.server_version
    except psycopg.Error as exc:
        raise BackupError(f"could not read the database: {str(exc).strip()}") from None
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {_first_error(done.stderr)}")
    manifest = {
        "dump": dump.name,
        "taken_at": now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "database": source,
        "server_version": server,
        "rows": rows,
    }
    _manifest_of(dump).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    _manifest_of(dump).chmod(0o600)
    os.replace(partial, dump)  # a dump only gets its final name once complete
    return Backup(dump=dump, size=dump.stat().st_size, rows=rows, removed=_prune(directory, keep_days, now))


def _manifest_of(dump: Path) -> Path:
    return dump.with_suffix(".json")


def _dumps(directory: Path) -> Iterator[tuple[dt.datetime, Path]]:
    for path in directory.glob("circles-*.dump"):
        if match := NAME.match(path.name):
            yield dt.datetime.strptime(match[1], STAMP).replace(tzinfo=dt.UTC), path


def _prune(directory: Path, keep_days: int, now: dt.datetime) -> list[Path]:
    """Dumps (and their manifests) taken more than `keep_days` ago; the newest one always stays."""
    found = sorted(_dumps(directory))
    removed = []
    for taken, path in found[:-1]:
        if taken < now - dt.timedelta(days=keep_days):
            path.unlink()
            _manifest_of(path).unlink(missing_ok=True)
            removed.append(path)
    return removed


def newest_dump(directory: Path) -> Path:
    found = sorted(_dumps(directory)) if directory.is_dir() else []
    if not found:
        raise BackupError(f"no backup (circles-*.dump) in {directory}: run deploy/backup first")
    return found[-1][1]


# ------------------------------------------------------------------ restore drill


def _admin() -> psycopg.Connection[Any]:
    """Connected to the live database, only to create and drop the scratch one."""
    return _connect(str(_database()["NAME"]), autocommit=True)


def _drop(scratch: str) -> None:
    with _admin() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


def restore_drill(*, dump: Path, keep: bool = False) -> Drill:
    """Restore `dump` into a new scratch database on the same server, check that this code's migrations
    are all applied there and that every table has the rows recorded at backup time; drop the scratch
    database (unless `keep`). Raises BackupError naming the first thing that failed."""
    manifest_path = _manifest_of(dump)
    if not dump.is_file():
        raise BackupError(f"{dump} does not exist")
    if not manifest_path.is_file():
        raise BackupError(
            f"{manifest_path.name} is missing: the drill checks a dump against the row counts "
            "deploy/backup writes beside it"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
        expected: dict[str, int] = {str(k): int(v) for k, v in manifest["rows"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(f"{manifest_path.name} is not a manifest written by deploy/backup") from None
    scratch = f"circles_drill_{os.getpid()}_{int(time.time())}"
    started = time.monotonic()
    try:
        with _admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch)))
    except psycopg.Error as exc:
        raise BackupError(
            f"could not create a scratch database (the role needs CREATEDB): {exc}".strip()
        ) from None
    try:
        restored = _run(
            [
                "pg_restore",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={scratch}",
                str(dump),
            ],
            env=_pg_env(scratch),
        )
        if restored.returncode != 0:
            raise BackupError(f"{dump.name} could not be restored: {_first_error(restored.stderr)}")
        try:
            with _connect(scratch) as conn:
                _check_migrations(conn)
                rows = _count(conn)
        except psycopg.Error as exc:
            raise BackupError(f"the restored copy could not be read: {str(exc).strip()}") from None
        _compare(expected, rows)
        seconds = time.monotonic() - started
    finally:
        if not keep:
            _drop(scratch)
    return Drill(
        dump=dump,
        taken_at=str(manifest.get("taken_at", "?")),
        seconds=seconds,
        rows=rows,
        kept=scratch if keep else None,
    )


def _check_migrations(conn: psycopg.Connection[Any]) -> None:
    """The question `manage.py migrate --check` asks, of the restored copy: does this code have migrations
    it lacks? (Read with the drill's own connection: Django's stay on the live database.)"""
    applied = {
        (app, name) for app, name in conn.execute("SELECT app, name FROM django_migrations").fetchall()
    }
    loader = MigrationLoader(None, ignore_no_migrations=True)
    missing = sorted(
        key
        for key in loader.graph.nodes
        if key not in applied
        # A squashed migration counts as applied when everything it replaces was.
        and not (key in loader.replacements and set(loader.replacements[key].replaces) <= applied)
    )
    if missing:
        names = ", ".join(f"{app}.{name}" for app, name in missing[:3])
        raise BackupError(
            f"the restored copy lacks {len(missing)} migrations of this code ({names}…): "
            "a dump older than the release needs `manage.py migrate` after restoring"
        )


def _compare(expected: dict[str, int], rows: dict[str, int]) -> None:
    wrong = [
        f"{table} has {rows.get(table, 'no')} rows, the backup had {count}"
        for table, count in sorted(expected.items())
        if rows.get(table) != count
    ]
    if wrong:
        more = f" (and {len(wrong) - 3} more tables)" if len(wrong) > 3 else ""
        raise BackupError("the restored copy differs from the backup: " + "; ".join(wrong[:3]) + more)


def key_rows(rows: dict[str, int]) -> dict[str, int]:
    """People, messages and sessions among `rows` (table → count), for the one-line verdicts."""
    found = {}
    for label, model in KEY_MODELS.items():
        table = apps.get_model(model)._meta.db_table
        found[label] = next((count for name, count in rows.items() if name.split(".", 1)[1] == table), 0)
    return found
