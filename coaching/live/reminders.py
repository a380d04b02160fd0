"""Reminders 24 hours and 15 minutes before a session: one notification each for its people, once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from circles.models import Membership
from coaching.accounts.models import User
from coaching.live.models import LiveSession
from coaching.notifications.kinds import Kind
from coaching.notifications.services import notify_all

DAY_BEFORE = dt.timedelta(hours=24)
SOON = dt.timedelta(minutes=15)


def _people(session: LiveSession) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=Membership.objects.current().filter(circle=session.circle).values("user_id"),
            is_active=True,
        )
    )


def session_params(session: LiveSession) -> dict[str, str]:
    """The names a sentence about a session needs: its circle, its title and its start (ISO, UTC)."""
    return {
        "circle": session.circle.name,
        "title": session.title,
        "starts_at": session.starts_at.astimezone(dt.UTC).isoformat(),
    }


def _remind(session: LiveSession, *, soon: bool, now: dt.datetime) -> int:
    which = "starting" if soon else "tomorrow"
    told = notify_all(
        recipients=_people(session),
        kind=Kind.SESSION_STARTING if soon else Kind.SESSION_TOMORROW,
        url=reverse("session_room", args=[session.pk]),
        # The start is in the key: a rescheduled session is reminded again, about its new time.
        dedupe_key=f"session:{session.pk}:{which}:{session.starts_at.timestamp():.0f}",
        params=session_params(session),
        now=now,
    )
    return len(told)


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind the people of every scheduled session that is due for a reminder; returns people reminded."""
    now = now or timezone.now()
    reminded = 0
    for field, window, soon in [
        ("reminded_soon_at", SOON, True),
        ("reminded_day_before_at", DAY_BEFORE, False),
    ]:
        due = LiveSession.objects.filter(
            status=LiveSession.Status.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + window,
            **{f"{field}__isnull": True},
        ).select_related("circle")
        for session in due:
            with transaction.atomic():
                # Claim the reminder first, so two workers never send it twice.
                claimed = LiveSession.objects.filter(pk=session.pk, **{f"{field}__isnull": True}).update(
                    **{field: now}
                )
                if claimed:
                    if soon:  # a session scheduled late gets the soon reminder only
                        LiveSession.objects.filter(pk=session.pk, reminded_day_before_at__isnull=True).update(
                            reminded_day_before_at=now
                        )
                    reminded += _remind(session, soon=soon, now=now)
    return reminded
