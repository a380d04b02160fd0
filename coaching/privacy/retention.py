"""Retention: `purge_expired` deletes the personal data older than the RETAIN_* settings allow.

The worker runs it once a day (coaching/privacy/tasks.py); the policy and the defaults are in
docs/operations.md ("Retention"). Everything else stays until an account is erased.
"""

from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone

from circles.models import ImportJob, Invitation
from coaching.notifications.models import Delivery, Notification

FINISHED_IMPORTS = [ImportJob.Status.DONE, ImportJob.Status.INVALID, ImportJob.Status.FAILED]


def purge_expired(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete (or, for import files, blank) what is past its retention at `now`; how many rows of each."""
    now = now or timezone.now()

    def days_ago(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    invitations_before = days_ago(settings.RETAIN_INVITATIONS_DAYS)
    imports_before = days_ago(settings.RETAIN_IMPORT_FILES_DAYS)
    return {
        "notifications": Notification.objects.filter(
            created_at__lt=days_ago(settings.RETAIN_NOTIFICATIONS_DAYS)
        ).delete()[0],
        "deliveries": Delivery.objects.filter(
            created_at__lt=days_ago(settings.RETAIN_DELIVERIES_DAYS)
        ).delete()[0],
        "invitations": Invitation.objects.filter(
            Q(used_at__lt=invitations_before) | Q(expires_at__lt=invitations_before)
        ).delete()[0],
        # The job's row stays (who imported what, when, how many people); the names and emails in the file go.
        "import_files": ImportJob.objects.filter(status__in=FINISHED_IMPORTS, finished_at__lt=imports_before)
        .exclude(content="")
        .update(content=""),
        # A failed sign-in matters only during its cool-off (django-axes also clears them on the next one).
        "sign_in_failures": AccessAttempt.objects.filter(
            attempt_time__lt=now - settings.AXES_COOLOFF_TIME
        ).delete()[0],
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],  # as `manage.py clearsessions`
    }
