"""manage.py backup: dump the database to BACKUP_DIR with its row counts, and remove expired dumps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from coaching.backups import BackupError, key_rows, make_backup


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # it needs the database only: start quickly from cron
    help = "Dump the database and its row counts to BACKUP_DIR; remove dumps past BACKUP_KEEP_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="where to write (default BACKUP_DIR)")
        parser.add_argument("--keep-days", type=int, default=None, help="default BACKUP_KEEP_DAYS")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["dir"] or Path(settings.BACKUP_DIR)
        keep = options["keep_days"] if options["keep_days"] is not None else settings.BACKUP_KEEP_DAYS
        try:
            made = make_backup(directory=directory, keep_days=max(keep, 1))
        except BackupError as failed:
            self.stderr.write(f"backup FAILED: {failed}")
            raise SystemExit(1) from None
        key = key_rows(made.rows)
        self.stdout.write(
            f"backup written: {made.dump} ({made.size / 1_000_000:.1f} MB; {key['people']} people, "
            f"{key['messages']} messages, {key['sessions']} sessions, {sum(made.rows.values())} rows "
            f"in {len(made.rows)} tables); {len(made.removed)} older than {keep} days removed"
        )
