"""Tell people something in their own language: an in-app notice and an email each, after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation

from coaching.accounts.models import Notice, User

# Given the person (with their language already active), the subject and the body of what to tell them.
Compose = Callable[[User], tuple[str, str]]


def _send(people: list[User], compose: Compose, url: str) -> None:
    notices, emails = [], []
    for person in people:
        with translation.override(person.ui_language):
            subject, body = compose(person)
        end = "" if subject.endswith((".", "?", "!", "…")) else "."
        notices.append(Notice(user=person, text=f"{subject}{end} {body}"[:300], url=url))
        if person.email:
            emails.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email]))
    Notice.objects.bulk_create(notices)
    with get_connection() as connection:
        connection.send_messages(emails)


def tell(people: Iterable[User], compose: Compose, *, url: str) -> None:
    """Notify each active person (once, whoever is listed twice) when the current transaction commits."""
    unique = {person.pk: person for person in people if person.is_active}
    if unique:
        transaction.on_commit(partial(_send, list(unique.values()), compose, url))
