"""Reading a person's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from coaching.accounts.models import User
from coaching.notifications.models import Notification

PAGE = 50


def recent(*, user: User, limit: int = PAGE) -> QuerySet[Notification]:
    """The person's newest notifications, newest first, with who caused them."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
