"""Background work of progress, run by the worker process: reminders and concern escalation."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from coaching.progress.concerns import escalate_overdue_concerns
from coaching.progress.reminders import remind_commitments
from coaching.progress.services import remind_missed_check_ins
from coaching.progress.summaries import send_coach_summaries


@db_periodic_task(crontab(minute="7"))
def remind_about_missed_check_ins() -> int:
    """Every hour: a gentle reminder to members who missed last week's check-in (once per missed week)."""
    return remind_missed_check_ins()


@db_periodic_task(crontab(minute="*/15"))
def escalate_unanswered_concerns() -> int:
    """Every 15 minutes: concerns to a coach unanswered for too long go to the admins as well."""
    return escalate_overdue_concerns()


@db_periodic_task(crontab(minute="*/15"))
def email_coach_summaries() -> int:
    """Every 15 minutes: the weekly summary of each coach for whom it is now Monday 8:00."""
    return send_coach_summaries()


@db_periodic_task(crontab(minute="*/15"))
def remind_about_commitments() -> int:
    """Every 15 minutes: commitments due tomorrow or newly overdue, on each member's calendar (once each)."""
    return remind_commitments()
