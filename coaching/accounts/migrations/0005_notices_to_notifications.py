"""Copy every unread notice into a notification, so nothing unread is lost when notices go.

A notice was a finished sentence; a notification is a kind with the names its sentence needs. A
notice linking to a session becomes that session's "tomorrow" reminder, one linking to a circle a
"you are in the circle" one, and anything else keeps its own words as the title of an announcement.
Nothing is emailed or pushed again: each was sent when the notice was made.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

SESSION = re.compile(r"^/sessions/(\d+)/")
CIRCLE = re.compile(r"^/circles/(\d+)/")


def _kind_and_params(apps: Any, notice: Any) -> tuple[str, dict[str, Any]]:
    LiveSession = apps.get_model("live", "LiveSession")
    Circle = apps.get_model("circles", "Circle")
    found = SESSION.match(notice.url or "")
    if found:
        session = LiveSession.objects.filter(pk=int(found[1])).select_related("circle").first()
        if session is not None:
            return "session_tomorrow", {
                "circle": session.circle.name,
                "title": session.title,
                "starts_at": session.starts_at.isoformat(),
            }
    found = CIRCLE.match(notice.url or "")
    if found:
        circle = Circle.objects.filter(pk=int(found[1])).first()
        if circle is not None:
            return "circle_added", {"circle": circle.name}
    return "announcement", {"programme": "Circles", "title": notice.text}


def forwards(apps: Any, schema_editor: Any) -> None:
    Notice = apps.get_model("accounts", "Notice")
    Notification = apps.get_model("notifications", "Notification")
    for notice in Notice.objects.filter(read_at__isnull=True).iterator():
        kind, params = _kind_and_params(apps, notice)
        Notification.objects.get_or_create(
            recipient_id=notice.user_id,
            dedupe_key=f"notice:{notice.pk}",
            defaults={
                "kind": kind,
                "params": params,
                "url": notice.url or "/notifications/",
                "created_at": notice.created_at,
            },
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(dedupe_key__startswith="notice:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_calendar_token"),
        ("notifications", "0001_initial"),
        ("live", "0002_livesession_state_version"),
        ("circles", "0005_coachpreference_matchproposal"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
