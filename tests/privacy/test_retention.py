"""Retention: the daily purge removes personal data past the RETAIN_* settings and keeps everything newer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from circles.models import ImportJob, Invitation, Programme
from coaching.accounts.models import User
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Delivery, Notification
from coaching.privacy.retention import purge_expired
from coaching.privacy.tasks import purge_expired_personal_data

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def notification(person: User, *, age_days: float) -> Notification:
    return Notification.objects.create(
        recipient=person,
        kind=Kind.MENTION,
        url="/",
        dedupe_key=f"test:{age_days}",
        snippet="you were mentioned",
        created_at=days_ago(age_days),
    )


def invitation(person: User, *, expired_days_ago: float, used_days_ago: float | None = None) -> Invitation:
    return Invitation.objects.create(
        user=person,
        token_hash=f"{expired_days_ago}-{used_days_ago}".ljust(64, "0"),
        expires_at=days_ago(expired_days_ago),
        used_at=None if used_days_ago is None else days_ago(used_days_ago),
    )


def import_job(admin: User, *, status: str, finished_days_ago: float | None) -> ImportJob:
    return ImportJob.objects.create(
        programme=Programme.objects.get(),
        uploaded_by=admin,
        filename="people.csv",
        content="name,email\nAda Lovelace,ada@example.org\n",
        status=status,
        total_rows=1,
        finished_at=None if finished_days_ago is None else days_ago(finished_days_ago),
    )


def failed_sign_in(username: str, *, minutes_ago: float) -> AccessAttempt:
    attempt = AccessAttempt.objects.create(
        username=username,
        ip_address="203.0.113.9",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=NOW - dt.timedelta(minutes=minutes_ago))
    return attempt


def session(*, expires: dt.datetime) -> str:
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=expires)
    return str(store.session_key)


@pytest.fixture
def kofi(demo: dict[str, Any]) -> User:
    return User.objects.get(username="kofi")


def test_notifications_older_than_the_setting_go_and_newer_ones_stay(kofi: User) -> None:
    old, recent = notification(kofi, age_days=181), notification(kofi, age_days=179)

    with override_settings(RETAIN_NOTIFICATIONS_DAYS=180):
        purged = purge_expired(now=NOW)

    assert purged["notifications"] == 1
    assert not Notification.objects.filter(pk=old.pk).exists()
    assert Notification.objects.filter(pk=recent.pk).exists()


def test_delivery_records_older_than_the_setting_go(kofi: User) -> None:
    Delivery.objects.create(key="email:1", created_at=days_ago(31), sent_at=days_ago(31))
    Delivery.objects.create(key="email:2", created_at=days_ago(29), sent_at=days_ago(29))

    with override_settings(RETAIN_DELIVERIES_DAYS=30):
        purged = purge_expired(now=NOW)

    assert purged["deliveries"] == 1
    assert list(Delivery.objects.values_list("key", flat=True)) == ["email:2"]


def test_invitations_go_a_while_after_they_expired_or_were_used(kofi: User) -> None:
    expired_long_ago = invitation(kofi, expired_days_ago=31)
    used_long_ago = invitation(kofi, expired_days_ago=-5, used_days_ago=31)  # used, though still valid
    expired_lately = invitation(kofi, expired_days_ago=29)
    still_open = invitation(kofi, expired_days_ago=-6)

    with override_settings(RETAIN_INVITATIONS_DAYS=30):
        purged = purge_expired(now=NOW)

    assert purged["invitations"] == 2
    assert set(Invitation.objects.values_list("pk", flat=True)) == {expired_lately.pk, still_open.pk}
    assert not Invitation.objects.filter(pk__in=[expired_long_ago.pk, used_long_ago.pk]).exists()


def test_finished_imports_lose_their_file_but_keep_their_record(demo: dict[str, Any]) -> None:
    admin = User.objects.get(username=demo["admins"][0])
    old_done = import_job(admin, status=ImportJob.Status.DONE, finished_days_ago=31)
    old_invalid = import_job(admin, status=ImportJob.Status.INVALID, finished_days_ago=40)
    recent = import_job(admin, status=ImportJob.Status.DONE, finished_days_ago=2)
    waiting = import_job(
        admin, status=ImportJob.Status.READY, finished_days_ago=None
    )  # the admin may still commit it

    with override_settings(RETAIN_IMPORT_FILES_DAYS=30):
        purged = purge_expired(now=NOW)

    assert purged["import_files"] == 2
    for job in (old_done, old_invalid):
        job.refresh_from_db()
        assert job.content == ""
        assert job.filename == "people.csv"
        assert job.total_rows == 1
    for job in (recent, waiting):
        job.refresh_from_db()
        assert "ada@example.org" in job.content


def test_failed_sign_ins_go_once_their_cool_off_is_over(kofi: User) -> None:
    over = failed_sign_in("kofi", minutes_ago=16)
    locking = failed_sign_in("grace", minutes_ago=5)

    with override_settings(AXES_COOLOFF_TIME=dt.timedelta(minutes=15)):
        purged = purge_expired(now=NOW)

    assert purged["sign_in_failures"] == 1
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [locking.pk]
    assert not AccessAttempt.objects.filter(pk=over.pk).exists()


def test_expired_sign_in_sessions_go_and_live_ones_stay(kofi: User) -> None:
    expired = session(expires=NOW - dt.timedelta(hours=1))
    live = session(expires=NOW + dt.timedelta(days=3))

    purged = purge_expired(now=NOW)

    assert purged["sessions"] == 1
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert not Session.objects.filter(session_key=expired).exists()


def test_the_worker_runs_the_purge_every_night_and_it_uses_the_settings(kofi: User) -> None:
    # Scheduled once a day, at 03:23 UTC.
    assert purge_expired_personal_data.task_class().validate_datetime(dt.datetime(2026, 6, 1, 3, 23))
    assert not purge_expired_personal_data.task_class().validate_datetime(dt.datetime(2026, 6, 1, 4, 23))
    ancient = Notification.objects.create(
        recipient=kofi,
        kind=Kind.MENTION,
        url="/",
        dedupe_key="ancient",
        created_at=timezone.now() - dt.timedelta(days=400),
    )
    fresh = Notification.objects.create(recipient=kofi, kind=Kind.MENTION, url="/", dedupe_key="fresh")

    purged = purge_expired_personal_data.call_local()

    assert purged["notifications"] == 1  # the default: 180 days
    assert not Notification.objects.filter(pk=ancient.pk).exists()
    assert Notification.objects.filter(pk=fresh.pk).exists()
