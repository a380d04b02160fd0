"""Background deliveries of notifications, run by the worker: each retried run sends nothing twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from coaching.notifications.emails import send_digests, send_due_emails

# Email ------------------------------------------------------------------------------------------------
# (The coaches' weekly summary reads circles and progress, which this app may not import: its task is
# coaching.progress.tasks.email_coach_summaries.)


@db_periodic_task(crontab(minute="*"))
def email_due_notifications() -> int:
    """Every minute: email the notifications (one email per conversation burst) that are due and unread."""
    return send_due_emails()


@db_periodic_task(crontab(minute="*/15"))
def email_digests() -> int:
    """Every 15 minutes: the daily digest of each person for whom it is now 8:00."""
    return send_digests()
