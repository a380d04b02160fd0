"""Notifying a person: `notify` stores a notification and plans its deliveries; reading marks it read.

Every app that tells someone something calls `notify` (chat, live sessions, progress, circles, matching,
announcements). In-app it shows at once (the bell updates over the person's sockets after commit); email
and push are planned here (`email_due_at`, `push_due_at`, past the person's quiet hours) and sent by the
worker, which never sends the same delivery twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from coaching.accounts.models import User
from coaching.lib.realtime import encode, send_event_on_commit, user_group
from coaching.notifications.kinds import RULES, Email, Kind
from coaching.notifications.models import Notification, NotificationSettings, PushSubscription
from coaching.notifications.quiet import after_quiet

SNIPPET_LENGTH = 140


def settings_of(user: User) -> NotificationSettings:
    """The person's notification settings (the defaults until they change them)."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def snippet_of(text: str) -> str:
    """A message's text as one short plain line for a notification (markdown and newlines flattened)."""
    flat = " ".join(text.replace("*", "").replace("`", "").replace(">", " ").split())
    return flat if len(flat) <= SNIPPET_LENGTH else flat[: SNIPPET_LENGTH - 1].rstrip() + "…"


def deliver_at(*, user: User, moment: dt.datetime, kind: Kind, choices: NotificationSettings) -> dt.datetime:
    """When something planned for `moment` may reach the person: after their quiet hours, unless urgent."""
    if RULES[kind].urgent:
        return moment
    return after_quiet(moment, zone=user.zone, start=choices.quiet_from, end=choices.quiet_until)


def _plan(notification: Notification, *, user: User, now: dt.datetime) -> None:
    kind = Kind(notification.kind)
    rule = RULES[kind]
    choices = settings_of(user)
    if user.email and kind.value not in choices.email_off and rule.email is not Email.DIGEST:
        delay = settings.NOTIFY_EMAIL_DELAY_MINUTES if rule.email is Email.BURST else 0
        notification.email_due_at = deliver_at(
            user=user, moment=now + dt.timedelta(minutes=delay), kind=kind, choices=choices
        )
    if kind.value not in choices.push_off and PushSubscription.objects.filter(user=user).exists():
        notification.push_due_at = deliver_at(user=user, moment=now, kind=kind, choices=choices)


def notify(
    *,
    recipient: User,
    kind: Kind,
    url: str,
    dedupe_key: str,
    actor: User | None = None,
    params: dict[str, Any] | None = None,
    snippet: str = "",
    conversation: str = "",
    position: int | None = None,
    now: dt.datetime | None = None,
) -> Notification | None:
    """Tell `recipient` about something, once per `dedupe_key`; None when there is nobody to tell.

    Nobody is told of their own action, and an inactive account is told nothing. Only kinds about a
    message carry a snippet of its text; the caller passes it only to people who may read that message.
    """
    if not recipient.is_active or (actor is not None and actor.pk == recipient.pk):
        return None
    now = now or timezone.now()
    notification = Notification(
        recipient=recipient,
        kind=kind.value,
        actor=actor,
        params=params or {},
        snippet=snippet_of(snippet) if RULES[kind].carries_text else "",
        url=url,
        conversation=conversation,
        position=position,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    _plan(notification, user=recipient, now=now)
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:  # already told about this event
        return None
    transaction.on_commit(partial(_announce, recipient.pk))
    if notification.push_due_at is not None and notification.push_due_at <= now:
        # Due now (not in quiet hours): push within seconds rather than at the worker's next minute.
        transaction.on_commit(partial(_push_now, notification.pk), robust=True)
    return notification


def notify_all(*, recipients: Iterable[User], **what: Any) -> list[Notification]:
    """`notify` each recipient about the same thing; the ones actually told."""
    told = [notify(recipient=recipient, **what) for recipient in recipients]
    return [notification for notification in told if notification is not None]


def unread_count(*, user: User) -> int:
    """How many of the person's notifications are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _announce(user_id: int) -> None:
    """The person's open pages hear their new unread count (the bell)."""
    count = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
    frame = {"type": "notifications", "unread": count}
    send_event_on_commit([(user_group(user_id), {"type": "person.frame", "text": encode(frame)})])


def _push_now(notification_id: int) -> None:
    """Queue the push of a notification due now (robust: a queue failure leaves it to the minute's run)."""
    from coaching.notifications.tasks import send_push_now  # the task module imports this one

    send_push_now(notification_id)


def _read(user: User, notifications: Any, now: dt.datetime | None) -> int:
    changed = int(notifications.filter(read_at__isnull=True).update(read_at=now or timezone.now()))
    if changed:
        transaction.on_commit(partial(_announce, user.pk))
    return changed


def mark_read(*, user: User, notification_id: int, now: dt.datetime | None = None) -> Notification | None:
    """Mark one of the person's notifications read and return it; None if it is not theirs."""
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is not None and notification.read_at is None:
        _read(user, Notification.objects.filter(pk=notification.pk), now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(*, user: User, now: dt.datetime | None = None) -> int:
    """Mark every notification of the person read; how many were unread."""
    return _read(user, Notification.objects.filter(recipient=user), now)


def mark_conversation_read(
    *, user: User, conversation: str, up_to: int, now: dt.datetime | None = None
) -> int:
    """The person read `conversation` up to `position` `up_to`: its notifications up to there are read."""
    notifications = Notification.objects.filter(
        recipient=user, conversation=conversation, position__lte=up_to
    )
    return _read(user, notifications, now)
