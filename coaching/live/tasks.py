"""Background work of live sessions, run by the worker process."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from coaching.live.reminders import send_due_reminders


@db_periodic_task(crontab(minute="*"))
def remind_about_sessions() -> int:
    """Every minute: send the 24 h and 15 min reminders that are due."""
    return send_due_reminders()
