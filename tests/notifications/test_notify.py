"""`notify`: one notification per event, never to oneself, email and push planned past quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from coaching.accounts.models import User
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification, NotificationSettings, PushSubscription
from coaching.notifications.services import (
    mark_all_read,
    mark_conversation_read,
    mark_read,
    notify,
    notify_all,
    unread_count,
)

pytestmark = pytest.mark.django_db


def person(username: str, zone: str = "Europe/Madrid", email: str | None = None) -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        timezone=zone,
        email=email if email is not None else f"{username}@x.org",
    )


NOON_MADRID = dt.datetime(2027, 1, 12, 11, 0, tzinfo=dt.UTC)


def mention(recipient: User, actor: User, *, seq: int = 1, now: dt.datetime = NOON_MADRID, **extra):
    return notify(
        recipient=recipient,
        kind=Kind.MENTION,
        actor=actor,
        url=f"/circles/1/#message-{seq}",
        dedupe_key=f"message:{seq}:mention",
        params={"circle": "Harambee"},
        snippet="Hello **there**,\nare you coming?",
        conversation="room:1",
        position=seq,
        now=now,
        **extra,
    )


def test_it_stores_one_notification_per_event():
    kofi, grace = person("kofi"), person("grace")
    first = mention(grace, kofi)
    again = mention(grace, kofi)
    assert first is not None
    assert again is None
    assert Notification.objects.filter(recipient=grace).count() == 1
    assert first.snippet == "Hello there, are you coming?"  # plain text on one line


def test_nobody_is_told_of_their_own_action_and_a_disabled_account_hears_nothing():
    kofi = person("kofi")
    assert mention(kofi, kofi) is None
    gone = person("gone")
    gone.is_active = False
    gone.save()
    assert mention(gone, kofi) is None
    assert not Notification.objects.exists()


def test_only_kinds_about_a_message_carry_its_text():
    kofi, grace = person("kofi"), person("grace")
    told = notify(
        recipient=grace,
        kind=Kind.CIRCLE_ADDED,
        url="/circles/1/",
        dedupe_key="seat:1",
        params={"circle": "Harambee"},
        snippet="anything",
        actor=kofi,
    )
    assert told is not None
    assert told.snippet == ""


@override_settings(NOTIFY_EMAIL_DELAY_MINUTES=10)
def test_a_mention_is_emailed_after_the_delay_unless_it_falls_in_quiet_hours():
    kofi = person("kofi")
    madrid, nairobi = person("madrid"), person("nairobi", "Africa/Nairobi")
    by_day = mention(madrid, kofi)
    assert by_day is not None
    assert by_day.email_due_at == NOON_MADRID + dt.timedelta(minutes=10)
    # 21:55 UTC is 00:55 in Nairobi: the email waits for 08:00 there (05:00 UTC).
    late = mention(nairobi, kofi, now=dt.datetime(2027, 1, 12, 21, 55, tzinfo=dt.UTC))
    assert late is not None
    assert late.email_due_at == dt.datetime(2027, 1, 13, 5, 0, tzinfo=dt.UTC)


def test_a_session_starting_soon_ignores_quiet_hours_and_digest_kinds_are_not_emailed_alone():
    kofi = person("kofi", "Africa/Nairobi")
    night = dt.datetime(2027, 1, 12, 2, 0, tzinfo=dt.UTC)  # 05:00 in Nairobi
    soon = notify(
        recipient=kofi,
        kind=Kind.SESSION_STARTING,
        url="/sessions/1/",
        dedupe_key="session:1:starting",
        params={"circle": "Harambee", "title": "Week 3"},
        now=night,
    )
    assert soon is not None
    assert soon.email_due_at == night
    thanks = notify(recipient=kofi, kind=Kind.KUDOS, url="/progress/", dedupe_key="kudos:1", now=night)
    assert thanks is not None
    assert thanks.email_due_at is None


def test_the_persons_choices_turn_email_and_push_off_per_kind():
    kofi, grace = person("kofi"), person("grace")
    PushSubscription.objects.create(user=grace, endpoint="https://push.example/1", p256dh="k", auth="a")
    pushed = mention(grace, kofi, seq=1)
    assert pushed is not None
    assert pushed.push_due_at == NOON_MADRID
    NotificationSettings.objects.create(user=grace, email_off=["mention"], push_off=["mention"])
    quiet = mention(grace, kofi, seq=2)
    assert quiet is not None
    assert quiet.email_due_at is None
    assert quiet.push_due_at is None
    no_address = person("nomail", email="")
    assert mention(no_address, kofi, seq=3).email_due_at is None


def test_reading_the_conversation_reads_its_notifications_up_to_there():
    kofi, grace = person("kofi"), person("grace")
    for seq in (1, 2, 3):
        mention(grace, kofi, seq=seq)
    assert unread_count(user=grace) == 3
    assert mark_conversation_read(user=grace, conversation="room:1", up_to=2) == 2
    assert unread_count(user=grace) == 1
    assert mark_conversation_read(user=grace, conversation="room:2", up_to=99) == 0
    assert mark_all_read(user=grace) == 1
    assert unread_count(user=grace) == 0


def test_one_notification_is_read_only_by_its_recipient():
    kofi, grace = person("kofi"), person("grace")
    told = mention(grace, kofi)
    assert told is not None
    assert mark_read(user=kofi, notification_id=told.pk) is None
    assert unread_count(user=grace) == 1
    assert mark_read(user=grace, notification_id=told.pk).read_at is not None


def test_it_tells_everyone_of_a_list_but_the_author():
    ana, kofi, grace = person("ana"), person("kofi"), person("grace")
    told = notify_all(
        recipients=[ana, kofi, grace],
        kind=Kind.ANNOUNCEMENT,
        actor=ana,
        url="/",
        dedupe_key="announcement:1",
        params={"programme": "Pilot", "title": "Welcome"},
    )
    assert {n.recipient.username for n in told} == {"kofi", "grace"}
