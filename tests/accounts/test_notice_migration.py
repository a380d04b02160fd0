"""Retiring notices: every unread notice becomes a notification, so nobody loses what they had not read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_calendar_token")]


@pytest.mark.django_db(transaction=True)
def test_unread_notices_become_notifications_and_read_ones_do_not():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # back to when notices existed
    old = executor.loader.project_state(BEFORE).apps
    person = old.get_model("accounts", "User").objects.create(username="kofi", password="-")
    notices = old.get_model("accounts", "Notice").objects
    unread = notices.create(user_id=person.pk, text="Welcome to the programme", url="/progress/")
    notices.create(user_id=person.pk, text="Already seen", url="/", read_at="2026-01-01T00:00:00Z")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from coaching.notifications.models import Notification

    (copied,) = Notification.objects.filter(recipient_id=person.pk)
    assert copied.dedupe_key == f"notice:{unread.pk}"
    assert copied.kind == "announcement"
    assert copied.params["title"] == "Welcome to the programme"
    assert copied.url == "/progress/"
    assert copied.read_at is None
    assert copied.email_due_at is None  # it was told once already: nothing is emailed again
    assert copied.push_due_at is None
