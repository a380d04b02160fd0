"""Reminders 24 hours and 15 minutes before a session: an email and an in-app notice each, once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from circles.models import Membership
from coaching.accounts.models import Notice, User
from coaching.live.models import LiveSession

DAY_BEFORE = dt.timedelta(hours=24)
SOON = dt.timedelta(minutes=15)


def _people(session: LiveSession) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=Membership.objects.current().filter(circle=session.circle).values("user_id"),
            is_active=True,
        )
    )


def _message(person: User, session: LiveSession, *, soon: bool) -> tuple[str, str]:
    with translation.override(person.ui_language):
        local = timezone.localtime(session.starts_at, person.zone)
        when = local.strftime("%Y-%m-%d %H:%M")
        subject = (_("Starting in 15 minutes: %(title)s") if soon else _("Tomorrow: %(title)s")) % {
            "title": session.title
        }
        body = _("%(circle)s meets at %(when)s your time (%(zone)s).") % {
            "circle": session.circle.name,
            "when": when,
            "zone": person.timezone,
        }
    return subject, body


def _remind(session: LiveSession, *, soon: bool) -> int:
    people = _people(session)
    messages = []
    for person in people:
        subject, body = _message(person, session, soon=soon)
        Notice.objects.create(user=person, text=f"{subject}. {body}", url=f"/sessions/{session.pk}/")
        if person.email:
            messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email]))
    with get_connection() as connection:
        connection.send_messages(messages)
    return len(people)


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
                    reminded += _remind(session, soon=soon)
    return reminded
