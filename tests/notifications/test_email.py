"""Notification emails through a real SMTP server: one per conversation burst, never twice, never if read."""

from __future__ import annotations

import datetime as dt

import pytest

from coaching.accounts.models import User
from coaching.notifications.emails import send_due_emails
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Delivery, Notification, NotificationSettings
from coaching.notifications.services import mark_conversation_read, notify
from tests.notifications.smtp import text_of

pytestmark = pytest.mark.django_db

NOON_MADRID = dt.datetime(2027, 1, 12, 11, 0, tzinfo=dt.UTC)  # 12:00 in Madrid, a Tuesday
MINUTE = dt.timedelta(minutes=1)


def person(username: str, zone: str = "Europe/Madrid", language: str = "en", name: str = "") -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        timezone=zone,
        email=f"{username}@example.org",
        ui_language=language,
        display_name=name,
    )


def mention(recipient: User, actor: User, *, seq: int, room: int = 1, at: dt.datetime, text: str = ""):
    return notify(
        recipient=recipient,
        kind=Kind.MENTION,
        actor=actor,
        url=f"/circles/{room}/#message-{seq}",
        dedupe_key=f"message:{room}:{seq}:mention",
        params={"circle": f"Harambee {room}" if room != 1 else "Harambee"},
        snippet=text or f"message number {seq}",
        conversation=f"room:{room}",
        position=seq,
        now=at,
    )


def test_it_sends_one_email_for_three_mentions_in_one_room(smtp_server, settings):
    settings.SITE_URL = "https://circles.example.org"
    kofi, grace = person("kofi", name="Kofi Mensah"), person("grace")
    for seq in (1, 2, 3):
        mention(grace, kofi, seq=seq, at=NOON_MADRID + seq * MINUTE, text=f"Point {seq}: see the plan")

    assert send_due_emails(now=NOON_MADRID + 5 * MINUTE) == 0  # not yet: grace may still read them
    assert send_due_emails(now=NOON_MADRID + 11 * MINUTE) == 1  # the first is due; the burst goes whole
    assert send_due_emails(now=NOON_MADRID + 13 * MINUTE) == 0  # the others were in it

    (message,) = smtp_server.to("grace@example.org")
    assert message["Subject"] == "Kofi Mensah mentioned you in Harambee (and 2 more)"
    text, html = text_of(message), text_of(message, "html")
    for seq in (1, 2, 3):
        assert f"Point {seq}: see the plan" in text
        assert f"Point {seq}: see the plan" in html
        assert f"https://circles.example.org/circles/1/#message-{seq}" in text
    assert 'href="https://circles.example.org/circles/1/#message-3"' in html
    # Times on grace's clock (Madrid): the first mention was at 12:01.
    assert "12:01" in text
    assert (
        str(message["List-Unsubscribe"])
        .strip()
        .startswith("<https://circles.example.org/notifications/unsubscribe/")
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not Notification.objects.filter(recipient=grace, emailed_at__isnull=True).exists()


def test_it_sends_one_email_per_room(smtp_server):
    kofi, grace = person("kofi"), person("grace")
    mention(grace, kofi, seq=1, room=1, at=NOON_MADRID)
    mention(grace, kofi, seq=2, room=1, at=NOON_MADRID + MINUTE)
    mention(grace, kofi, seq=1, room=2, at=NOON_MADRID + MINUTE)

    assert send_due_emails(now=NOON_MADRID + 15 * MINUTE) == 2
    subjects = sorted(m["Subject"] for m in smtp_server.to("grace@example.org"))
    assert subjects == ["kofi mentioned you in Harambee (and 1 more)", "kofi mentioned you in Harambee 2"]


def test_it_never_emails_what_was_read_before_it_was_due(smtp_server):
    kofi, grace = person("kofi"), person("grace")
    mention(grace, kofi, seq=1, at=NOON_MADRID)
    mention(grace, kofi, seq=2, at=NOON_MADRID + MINUTE)
    mark_conversation_read(user=grace, conversation="room:1", up_to=2, now=NOON_MADRID + 3 * MINUTE)

    assert send_due_emails(now=NOON_MADRID + 30 * MINUTE) == 0
    assert smtp_server.messages == []
    assert not Notification.objects.filter(email_due_at__isnull=False).exists()  # nothing left planned


def test_it_emails_only_the_unread_part_of_a_burst(smtp_server):
    kofi, grace = person("kofi"), person("grace")
    mention(grace, kofi, seq=1, at=NOON_MADRID, text="first")
    mention(grace, kofi, seq=2, at=NOON_MADRID + MINUTE, text="second")
    mark_conversation_read(user=grace, conversation="room:1", up_to=1, now=NOON_MADRID + 2 * MINUTE)

    assert send_due_emails(now=NOON_MADRID + 12 * MINUTE) == 1
    (message,) = smtp_server.messages
    assert "second" in text_of(message)
    assert "first" not in text_of(message)


def test_it_waits_for_the_end_of_quiet_hours(smtp_server):
    kofi, grace = person("kofi"), person("grace")
    late = dt.datetime(2027, 1, 12, 22, 30, tzinfo=dt.UTC)  # 23:30 in Madrid
    mention(grace, kofi, seq=1, at=late)

    assert send_due_emails(now=late + 15 * MINUTE) == 0
    assert send_due_emails(now=dt.datetime(2027, 1, 13, 6, 59, tzinfo=dt.UTC)) == 0  # 07:59 in Madrid
    assert send_due_emails(now=dt.datetime(2027, 1, 13, 7, 0, tzinfo=dt.UTC)) == 1  # 08:00
    assert len(smtp_server.to("grace@example.org")) == 1


def test_a_retried_run_never_sends_twice(smtp_server):
    kofi, grace = person("kofi"), person("grace")
    mention(grace, kofi, seq=1, at=NOON_MADRID)
    due = NOON_MADRID + 10 * MINUTE
    assert send_due_emails(now=due) == 1
    assert send_due_emails(now=due) == 0
    # A worker that died after the SMTP server took the email but before it marked the notification emailed:
    Notification.objects.update(emailed_at=None)
    assert send_due_emails(now=due + MINUTE) == 0
    assert len(smtp_server.messages) == 1
    assert Delivery.objects.get().sent_at == due
    assert Notification.objects.get().emailed_at is not None


def test_a_refused_email_stays_due_and_does_not_hold_up_the_others(smtp_server):
    kofi, grace, ana = person("kofi"), person("grace"), person("ana")
    mention(grace, kofi, seq=1, at=NOON_MADRID)
    mention(ana, kofi, seq=1, at=NOON_MADRID)
    smtp_server.refuse.add("grace@example.org")

    assert send_due_emails(now=NOON_MADRID + 10 * MINUTE) == 1
    assert [m["To"] for m in smtp_server.messages] == ["ana@example.org"]
    assert Notification.objects.get(recipient=grace).emailed_at is None

    smtp_server.refuse.clear()  # the mailbox is back: the next run sends it
    assert send_due_emails(now=NOON_MADRID + 11 * MINUTE) == 1
    assert len(smtp_server.to("grace@example.org")) == 1


def test_an_unreachable_server_leaves_everything_due(smtp_server, settings):
    kofi, grace = person("kofi"), person("grace")
    mention(grace, kofi, seq=1, at=NOON_MADRID)
    port = settings.EMAIL_PORT
    smtp_server_down = 1  # nothing listens on port 1
    settings.EMAIL_PORT = smtp_server_down
    assert send_due_emails(now=NOON_MADRID + 10 * MINUTE) == 0
    assert Notification.objects.get().emailed_at is None
    settings.EMAIL_PORT = port
    assert send_due_emails(now=NOON_MADRID + 11 * MINUTE) == 1


def test_other_kinds_go_one_email_each(smtp_server):
    admin, grace = person("admin"), person("grace")
    for number in (1, 2):
        notify(
            recipient=grace,
            kind=Kind.CIRCLE_ADDED,
            actor=admin,
            url=f"/circles/{number}/",
            dedupe_key=f"seat:{number}",
            params={"circle": f"Circle {number}"},
            now=NOON_MADRID,
        )
    assert send_due_emails(now=NOON_MADRID) == 2
    assert sorted(m["Subject"] for m in smtp_server.messages) == [
        "You are now in the circle Circle 1",
        "You are now in the circle Circle 2",
    ]


def test_a_kind_turned_off_after_it_was_planned_is_not_emailed(smtp_server):
    kofi, grace = person("kofi"), person("grace")
    mention(grace, kofi, seq=1, at=NOON_MADRID)
    NotificationSettings.objects.create(user=grace, email_off=[Kind.MENTION.value])
    assert send_due_emails(now=NOON_MADRID + 20 * MINUTE) == 0
    assert smtp_server.messages == []


def test_a_spanish_reader_gets_spanish_on_their_own_clock(smtp_server):
    kofi = person("kofi", name="Kofi")
    lucia = person("lucia", zone="America/Mexico_City", language="es")
    mention(lucia, kofi, seq=1, at=NOON_MADRID, text="¿Vienes el jueves?")  # 05:00 in Mexico City

    # Mexico City's quiet hours end at 08:00 there: 14:00 UTC.
    assert send_due_emails(now=dt.datetime(2027, 1, 12, 14, 0, tzinfo=dt.UTC)) == 1
    (message,) = smtp_server.messages
    assert message["Subject"] == "Kofi te mencionó en Harambee"
    text = text_of(message)
    assert "Hola, lucia" in text
    assert "¿Vienes el jueves?" in text
    assert "05:00" in text  # when it was said, on her clock
    assert "Darte de baja de estos correos" in text
    assert 'lang="es"' in text_of(message, "html")


def test_a_stored_name_with_a_newline_still_makes_a_one_line_subject(smtp_server):
    # Older rows, written before the forms refused them: the subject is still one header line.
    grace = person("grace")
    ana = person("ana", name="Ana\r\nBcc: everyone@example.org")
    notify(
        recipient=grace,
        kind=Kind.CONCERN_RAISED,
        actor=ana,
        url="/progress/concerns/1/",
        dedupe_key="concern:1",
        params={"subject": "Clash\nX-Evil: 1"},
        now=NOON_MADRID,
    )
    assert send_due_emails(now=NOON_MADRID) == 1
    (message,) = smtp_server.messages
    subject = "Ana Bcc: everyone@example.org raised a concern with you: “Clash X-Evil: 1”"
    assert message["Subject"].strip() == subject  # a folded header reads back with a leading space
    assert (message["Bcc"], message["X-Evil"]) == (None, None)
