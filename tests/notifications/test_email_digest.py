"""The 8:00 digest on each person's own clock, across zones and DST changes: once a day, only if anything."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coaching.accounts.models import User
from coaching.notifications.emails import send_digests, send_due_emails
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification, NotificationSettings
from coaching.notifications.services import notify
from tests.notifications.smtp import text_of

pytestmark = pytest.mark.django_db

STEP = dt.timedelta(minutes=15)


def person(username: str, zone: str, language: str = "en") -> User:
    return User.objects.create_user(
        username=username, password="pw", timezone=zone, email=f"{username}@example.org", ui_language=language
    )


def kudos(recipient: User, giver: User, *, at: dt.datetime, number: int) -> None:
    notify(
        recipient=recipient,
        kind=Kind.KUDOS,
        actor=giver,
        url="/progress/",
        dedupe_key=f"kudos:{number}",
        now=at,
    )


def run_days(inbox, people: list[User], giver: User, start: dt.datetime, days: int) -> dict[str, list]:
    """Every 15 minutes for `days` days, new thanks for all at each UTC midnight: who got a digest when."""
    sent: dict[str, list[dt.datetime]] = {p.username: [] for p in people}
    moment, number = start, 0
    while moment < start + dt.timedelta(days=days):
        if moment.hour == 0 and moment.minute == 0:
            for someone in people:
                number += 1
                kudos(someone, giver, at=moment, number=number)
        before = len(inbox.messages)
        send_digests(now=moment)
        for message in inbox.messages[before:]:
            sent[str(message["To"]).split("@")[0]].append(moment)
        moment += STEP
    return sent


def test_it_sends_each_digest_at_8_on_the_readers_clock_across_the_us_dst_change(smtp_server):
    giver = person("giver", "UTC")
    people = [
        person("ana", "America/Los_Angeles"),
        person("wanjiru", "Africa/Nairobi"),
        person("pilar", "Europe/Madrid"),
    ]
    # The United States moves its clocks on Sunday 14 March 2027 at 02:00.
    sent = run_days(smtp_server, people, giver, dt.datetime(2027, 3, 12, tzinfo=dt.UTC), days=4)

    for someone in people:
        local = [moment.astimezone(ZoneInfo(someone.timezone)) for moment in sent[someone.username]]
        assert [t.time() for t in local] == [dt.time(8, 0)] * len(local), someone.username
        assert len({t.date() for t in local}) == len(local)  # never two on one day
    # Los Angeles: 16:00 UTC under standard time, 15:00 UTC from the Sunday on.
    assert [m.strftime("%d %H:%M") for m in sent["ana"]] == ["12 16:00", "13 16:00", "14 15:00", "15 15:00"]
    assert [m.strftime("%d %H:%M") for m in sent["wanjiru"]] == [
        "12 05:00",
        "13 05:00",
        "14 05:00",
        "15 05:00",
    ]
    assert [m.strftime("%d %H:%M") for m in sent["pilar"]] == ["12 07:00", "13 07:00", "14 07:00", "15 07:00"]


def test_it_follows_madrid_across_the_european_dst_change(smtp_server):
    giver = person("giver", "UTC")
    people = [person("pilar", "Europe/Madrid"), person("wanjiru", "Africa/Nairobi")]
    # Europe moves its clocks on Sunday 28 March 2027 at 02:00 (01:00 UTC).
    sent = run_days(smtp_server, people, giver, dt.datetime(2027, 3, 27, tzinfo=dt.UTC), days=3)
    assert [m.strftime("%d %H:%M") for m in sent["pilar"]] == ["27 07:00", "28 06:00", "29 06:00"]
    assert [m.strftime("%d %H:%M") for m in sent["wanjiru"]] == ["27 05:00", "28 05:00", "29 05:00"]


def test_the_digest_gathers_what_was_missed_in_sections_once(smtp_server):
    giver, pilar = person("giver", "UTC"), person("pilar", "Europe/Madrid", "es")
    night = dt.datetime(2027, 1, 12, 23, 0, tzinfo=dt.UTC)  # midnight in Madrid: quiet hours
    kudos(pilar, giver, at=night, number=1)
    notify(
        recipient=pilar,
        kind=Kind.MENTION,
        actor=giver,
        url="/circles/1/#message-9",
        dedupe_key="message:9:mention",
        params={"circle": "Puentes"},
        snippet="¿Nos vemos mañana?",
        conversation="room:1",
        position=9,
        now=night,
    )
    read = notify(
        recipient=pilar, kind=Kind.KUDOS, actor=giver, url="/progress/", dedupe_key="kudos:read", now=night
    )
    Notification.objects.filter(pk=read.pk).update(read_at=night)

    eight = dt.datetime(2027, 1, 13, 7, 0, tzinfo=dt.UTC)  # 08:00 in Madrid
    assert send_digests(now=eight - STEP) == 0
    assert send_digests(now=eight) == 1
    assert send_digests(now=eight + dt.timedelta(minutes=10)) == 0  # one per day
    assert send_due_emails(now=eight + dt.timedelta(minutes=1)) == 0  # the mention went in the digest

    (message,) = smtp_server.messages
    assert message["Subject"] == "Lo que te perdiste: 2 notificaciones"
    text = text_of(message)
    assert "Mensajes" in text
    assert "Agradecimientos" in text
    assert "¿Nos vemos mañana?" in text
    assert text.index("Mensajes") < text.index("Agradecimientos")
    assert "/notifications/unsubscribe/" in str(message["List-Unsubscribe"])

    # The next morning there is nothing new: no email.
    assert send_digests(now=eight + dt.timedelta(days=1)) == 0


def test_nobody_gets_a_digest_they_turned_off_or_one_with_nothing_in_it(smtp_server):
    giver, pilar, ana = (
        person("giver", "UTC"),
        person("pilar", "Europe/Madrid"),
        person("ana", "Europe/Madrid"),
    )
    NotificationSettings.objects.create(user=pilar, digest=False)
    kudos(pilar, giver, at=dt.datetime(2027, 1, 12, tzinfo=dt.UTC), number=1)
    assert send_digests(now=dt.datetime(2027, 1, 12, 7, 0, tzinfo=dt.UTC)) == 0
    assert smtp_server.messages == []
    assert ana.notifications.count() == 0
