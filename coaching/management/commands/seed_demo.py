"""manage.py seed_demo: create the demo programme once; --json prints what exists."""

from __future__ import annotations

import json
import sys
from contextlib import redirect_stdout
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from coaching import demo as demo_data
from coaching.accounts.models import User
from coaching.demo import describe_demo


class Command(BaseCommand):
    help = "Create the demo programme, people and circles (once); --json prints them for scripts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print what exists as JSON")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any account exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off: they share a known password. "
                "Use --force if this really is a demo server."
            )
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The database already has accounts; no demo data added.")
            return
        # Scripts parse --json from stdout: anything seeding prints (console emails) goes to stderr.
        with redirect_stdout(sys.stderr):
            demo_data.seed_demo(activity=True)
        demo = describe_demo()
        if options["json"]:
            self.stdout.write(json.dumps(demo, ensure_ascii=False))
            return
        self.stdout.write(self.style.SUCCESS(f"Demo programme ready: {demo['programme']['name']}"))
        self.stdout.write(f"Every demo account's password: {demo['password']}")
        self.stdout.write(f"  admin: {', '.join(demo['admins'])}")
        for circle in demo["circles"]:
            self.stdout.write(
                f"  {circle['name']}: coach {circle['coach']}; members {', '.join(circle['members'])}"
            )
