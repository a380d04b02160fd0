"""Background work of chat, run by the worker process: telling people about messages, unanswered questions,
sweeping uploads that were never sent."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chat import attachments, notifying, questions


@db_task()
def notify_about_message(message_id: int) -> int:
    """Tell a new message's rightful recipients about it (enqueued by chat.sending after commit)."""
    return len(notifying.notify_about_message(message_id=message_id))


@db_periodic_task(crontab(minute="*"))
def alert_unanswered_questions() -> int:
    """Every minute: tell coaches about members' questions that have waited too long for them."""
    return questions.alert_unanswered()


@db_periodic_task(crontab(minute="17"))
def sweep_orphan_uploads() -> int:
    """Hourly: remove uploads that were never sent (chat.attachments.sweep_orphans)."""
    return attachments.sweep_orphans()
