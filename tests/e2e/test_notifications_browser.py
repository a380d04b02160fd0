"""Kofi mentions Grace while she is away: after the delay an email reaches a real SMTP server, in her
language, and its link opens the exact message, highlighted; had she read it first, no email goes."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from coaching.accounts.models import User
from coaching.notifications.emails import send_due_emails
from coaching.notifications.models import Notification, NotificationSettings
from tests.e2e import pages
from tests.notifications.smtp import text_of

pytestmark = [pytest.mark.browser]
CONNECTED = "#chat-status[data-state=connected]"
TIMEOUT = 10_000


def only_the_mentions_to_come() -> None:
    """Seating the demo told everyone about their circle: those are not what these tests are about. And
    no quiet hours for Grace, so the email is due after the delay whatever the hour in Nairobi when this runs
    (tests/notifications/test_quiet.py covers quiet hours)."""
    Notification.objects.update(email_due_at=None, read_at=timezone.now())
    grace = User.objects.get(username="grace")
    NotificationSettings.objects.update_or_create(
        user=grace, defaults={"quiet_from": dt.time(0, 0), "quiet_until": dt.time(0, 0)}
    )


def mention(kofi: pages.Person, url: str, words: str) -> None:
    kofi.go(url)
    kofi.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    kofi.page.fill("#chat-input", f"@grace {words}")
    kofi.page.press("#chat-input", "Enter")
    kofi.page.locator("#chat-log .chat-msg:not(.chat-pending) .chat-body", has_text=words).wait_for(
        timeout=TIMEOUT
    )


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    """Poll the database until `condition()` holds (what the daphne process committed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def told(words: str) -> Notification:
    """Grace's notification about the message, once the daphne process stored it (just after the commit that
    already showed the message to Kofi)."""
    found = Notification.objects.filter(recipient__username="grace", snippet__contains=words)
    wait_until(found.exists)
    return found.get()


def test_a_mention_grace_did_not_see_is_emailed_in_spanish_and_opens_the_message(
    chromium: Any,
    daphne_server: str,
    demo: dict[str, Any],
    smtp_server: Any,
) -> None:
    User.objects.filter(username="grace").update(ui_language="es")
    only_the_mentions_to_come()
    circle = demo["circles"][1]
    url = f"/circles/{circle['id']}/"
    kofi = pages.Person(chromium, daphne_server, "kofi", demo["password"])
    mention(kofi, url, "can you share the worksheet?")
    notification = told("can you share the worksheet?")
    assert notification.read_at is None

    with override_settings(SITE_URL=daphne_server):
        # Before the delay nothing goes; after it, one email.
        assert send_due_emails(now=timezone.now()) == 0
        assert send_due_emails(now=timezone.now() + dt.timedelta(minutes=11)) == 1
    (sent,) = smtp_server.messages
    assert "grace" in str(sent["To"])
    body = text_of(sent)
    assert "Kofi" in body
    assert "te mencionó" in body
    assert "can you share the worksheet?" in body
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(rf"{re.escape(daphne_server)}/circles/\d+/#message-\d+", body)
    assert link is not None, body

    grace = pages.Person(chromium, daphne_server, "grace", demo["password"], locale="es-ES")
    grace.page.goto(link.group(0))
    message_id = link.group(0).rsplit("-", 1)[1]
    assert message_id == notification.url.rsplit("-", 1)[1]
    target = grace.page.locator(f"#chat-log .chat-msg.chat-target[data-id='{message_id}']")
    target.wait_for(timeout=TIMEOUT)  # loaded, scrolled to and highlighted
    assert "can you share the worksheet?" in target.inner_text()
    wait_until(lambda: told("can you share the worksheet?").read_at is not None)  # opening it read it
    assert kofi.errors == []
    assert grace.errors == []


def test_no_email_when_grace_read_the_mention_first(
    chromium: Any,
    daphne_server: str,
    demo: dict[str, Any],
    smtp_server: Any,
) -> None:
    only_the_mentions_to_come()
    circle = demo["circles"][1]
    url = f"/circles/{circle['id']}/"
    grace = pages.Person(chromium, daphne_server, "grace", demo["password"])
    grace.go(url)
    grace.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    kofi = pages.Person(chromium, daphne_server, "kofi", demo["password"])
    mention(kofi, url, "see you on Thursday")
    grace.page.locator("#chat-log .chat-body", has_text="see you on Thursday").wait_for(timeout=TIMEOUT)
    # Her open page reads the message, which reads its notification.
    wait_until(
        lambda: Notification.objects.filter(
            recipient__username="grace", snippet__contains="see you on Thursday", read_at__isnull=False
        ).exists()
    )
    with override_settings(SITE_URL=daphne_server):
        assert send_due_emails(now=timezone.now() + dt.timedelta(minutes=30)) == 0
    assert smtp_server.messages == []
