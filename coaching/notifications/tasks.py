"""Background deliveries of notifications, run by the worker: each retried run sends nothing twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from coaching.notifications import push
from coaching.notifications.emails import send_digests, send_due_emails

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


@db_periodic_task(crontab(minute="*"))
def send_due_pushes() -> int:
    """Every minute: push the notifications whose time has come (after quiet hours, retries)."""
    return push.send_due_pushes()


@db_task()
def send_push_now(notification_id: int) -> bool:
    """Right after a notification due now is stored: push it within seconds instead of the next minute."""
    return push.send_push_now(notification_id)
