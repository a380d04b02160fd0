"""Make a VAPID key pair for Web Push: print it for production, or write the development pair once."""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from coaching.lib.vapid import new_pair


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair as WEBPUSH_VAPID_* lines for the environment; with --if-missing, "
        "write a development pair to var/vapid.json unless it exists (make run does this)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Write var/vapid.json (for DEBUG runs without WEBPUSH_VAPID_*) only if it does not exist.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["if_missing"]:
            public, private = new_pair()
            self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={public}\nWEBPUSH_VAPID_PRIVATE_KEY={private}")
            return
        path = settings.VAR_DIR / "vapid.json"
        if path.exists():
            return
        public, private = new_pair()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only, created exclusively: two `make run`s racing never mix halves of two pairs.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "w") as file:
            json.dump({"public_key": public, "private_key": private}, file)
        self.stdout.write(f"Wrote a development VAPID key pair to {path}.")
