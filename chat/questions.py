"""The coach's promise: a member's question waits at most `NOTIFY_QUESTION_MINUTES` before the coach is told.

A question is a member's message in a circle room that mentions the circle's coach, or a member's message
to their coach in a 1:1 thread (the same asks coaching.progress counts response times from). It is answered
once the coach posts in that room after it. `alert_unanswered` (every minute, from chat.tasks) tells the
coach about the first question still waiting in each room, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from chat.models import Mention, Message
from chat.notifying import conversation_of, message_url
from circles.models import Membership
from coaching.accounts.models import User
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification
from coaching.notifications.services import notify

LOOKBACK = dt.timedelta(hours=24)  # older questions are the dashboard's business, not an alert's


@dataclass(frozen=True)
class Question:
    """A member's message waiting for `coach`'s answer."""

    message: Message
    coach: User

    @property
    def dedupe_key(self) -> str:
        return f"question:{self.message.pk}"


def _shown(prefix: str = "") -> dict[str, object]:
    return {f"{prefix}deleted_at__isnull": True, f"{prefix}hidden_at__isnull": True}


def waiting_questions(*, now: dt.datetime, minutes: int) -> list[Question]:
    """Per room and coach, the earliest question asked between `LOOKBACK` and `minutes` ago and not answered.

    Two queries whatever their number. Later questions in the same room wait with the first one: the coach
    hears about the wait once, not once per message.
    """
    since, until = now - LOOKBACK, now - dt.timedelta(minutes=minutes)
    coach_posted = Message.objects.filter(room_id=OuterRef("room_id"), created_at__gt=OuterRef("created_at"))
    in_circles = (
        Mention.objects.filter(
            message__room__circle__isnull=False,
            message__created_at__gte=since,
            message__created_at__lte=until,
            **_shown("message__"),
        )
        .filter(
            Exists(
                Membership.objects.coaches().filter(
                    circle_id=OuterRef("message__room__circle_id"), user_id=OuterRef("user_id")
                )
            ),
            Exists(
                Membership.objects.members().filter(
                    circle_id=OuterRef("message__room__circle_id"), user_id=OuterRef("message__author_id")
                )
            ),
        )
        .exclude(
            Exists(
                Message.objects.filter(
                    room_id=OuterRef("message__room_id"),
                    author_id=OuterRef("user_id"),
                    created_at__gt=OuterRef("message__created_at"),
                )
            )
        )
        .select_related("user", "message__author", "message__room__circle")
        .order_by("message__created_at", "message_id")
    )
    in_threads = (
        Message.objects.filter(
            room__thread__isnull=False,
            author_id=F("room__thread__member_id"),
            created_at__gte=since,
            created_at__lte=until,
            **_shown(),
        )
        .exclude(Exists(coach_posted.filter(author_id=OuterRef("room__thread__coach_id"))))
        .select_related("author", "room__thread__coach")
        .order_by("created_at", "id")
    )
    found = [Question(message=m.message, coach=m.user) for m in in_circles]
    found += [Question(message=m, coach=m.room.thread.coach) for m in in_threads]
    first: dict[tuple[int, int], Question] = {}
    for question in sorted(found, key=lambda q: (q.message.created_at, q.message.pk)):
        first.setdefault((question.message.room_id, question.coach.pk), question)
    return list(first.values())


def alert_unanswered(*, now: dt.datetime | None = None) -> int:
    """Tell each coach about the questions that have waited too long for them (once each); how many told."""
    now = now or timezone.now()
    minutes = settings.NOTIFY_QUESTION_MINUTES
    questions = waiting_questions(now=now, minutes=minutes)
    # The next minute finds the same questions still waiting: one query skips those already told.
    told_before = set(
        Notification.objects.filter(
            kind=Kind.UNANSWERED_QUESTION.value, dedupe_key__in=[q.dedupe_key for q in questions]
        ).values_list("recipient_id", "dedupe_key")
    )
    told = 0
    for question in questions:
        if (question.coach.pk, question.dedupe_key) in told_before:
            continue
        message = question.message
        notification = notify(
            recipient=question.coach,
            kind=Kind.UNANSWERED_QUESTION,
            actor=message.author,
            url=message_url(message),
            dedupe_key=question.dedupe_key,
            params={"minutes": minutes},
            snippet=message.body,
            conversation=conversation_of(message.room_id),
            position=message.seq,
            now=now,
        )
        told += notification is not None
    return told
