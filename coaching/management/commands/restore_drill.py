"""manage.py restore_drill: restore a dump into a scratch database, check it, drop it; one line of verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from coaching.backups import BackupError, key_rows, newest_dump, restore_drill


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # it needs the database only: start quickly from cron
    help = (
        "Restore the newest dump of BACKUP_DIR (or DUMP) into a scratch database and check it; exit 1 if not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "dump", nargs="?", type=Path, help="a .dump file (default: the newest in BACKUP_DIR)"
        )
        parser.add_argument("--dir", type=Path, default=None, help="where the dumps are (default BACKUP_DIR)")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database to look at")

    def handle(self, *args: Any, **options: Any) -> None:
        dump = options["dump"]
        try:
            dump = dump or newest_dump(options["dir"] or Path(settings.BACKUP_DIR))
            drill = restore_drill(dump=dump, keep=options["keep"])
        except BackupError as failed:
            self.stderr.write(f"restore drill FAILED: {failed}")
            raise SystemExit(1) from None
        key = key_rows(drill.rows)
        kept = f"; kept as database {drill.kept} (drop it when done)" if drill.kept else ""
        self.stdout.write(
            f"restore drill OK: {dump.name} (taken {drill.taken_at}) restored in {drill.seconds:.1f} s; "
            f"migrations up to date; all {len(drill.rows)} tables have the backup's rows "
            f"({key['people']} people, {key['messages']} messages, {key['sessions']} sessions){kept}"
        )
