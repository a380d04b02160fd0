"""In-app notices (reminders and the like): the unread ones, and marking them read when opened."""

from __future__ import annotations

from django.utils import timezone

from coaching.accounts.models import Notice, User


def unread_notices(*, user: User, limit: int = 10) -> list[Notice]:
    """The person's unread notices, newest first."""
    return list(Notice.objects.filter(user=user, read_at__isnull=True).order_by("-created_at", "-id")[:limit])


def open_notice(*, user: User, notice_id: int) -> Notice | None:
    """Mark one of the person's notices read and return it; None if it is not theirs."""
    notice = Notice.objects.filter(pk=notice_id, user=user).first()
    if notice is not None and notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def mark_all_read(*, user: User) -> int:
    """Mark every unread notice of the person read; returns how many."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
