"""One-click unsubscribe: the link in an email's headers stops that kind for that person, nothing else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from coaching.accounts.models import User
from coaching.notifications.emails import send_due_emails
from coaching.notifications.kinds import Kind
from coaching.notifications.models import NotificationSettings
from coaching.notifications.services import notify, settings_of
from coaching.notifications.unsubscribe import make_token

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 1, 12, 11, 0, tzinfo=dt.UTC)


def person(username: str, language: str = "en") -> User:
    return User.objects.create_user(
        username=username,
        password="pw",
        timezone="Europe/Madrid",
        email=f"{username}@example.org",
        ui_language=language,
    )


def mention(recipient: User, actor: User, seq: int = 1) -> None:
    notify(
        recipient=recipient,
        kind=Kind.MENTION,
        actor=actor,
        url=f"/circles/1/#message-{seq}",
        dedupe_key=f"message:{seq}:mention",
        params={"circle": "Harambee"},
        snippet="hello",
        conversation="room:1",
        position=seq,
        now=NOON,
    )


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_the_one_click_post_from_the_email_header_stops_that_kind_only(smtp_server):
    kofi, grace, ana = person("kofi"), person("grace"), person("ana")
    mention(grace, kofi)
    mention(ana, kofi)
    send_due_emails(now=NOON + dt.timedelta(minutes=10))
    (message,) = smtp_server.to("grace@example.org")
    link = str(message["List-Unsubscribe"]).strip().strip("<>")

    # What a mail client does (RFC 8058): a POST with this body, no cookies, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path_of(link), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert settings_of(grace).email_off == [Kind.MENTION.value]
    assert settings_of(grace).digest is True  # nothing else changes
    assert settings_of(ana).email_off == []  # nor anyone else

    mention(grace, kofi, seq=2)
    mention(ana, kofi, seq=2)
    smtp_server.clear()
    send_due_emails(now=NOON + dt.timedelta(minutes=30))
    assert [m["To"] for m in smtp_server.messages] == ["ana@example.org"]


def test_the_link_shows_a_page_with_a_button_in_the_persons_language(client):
    pilar = person("pilar", language="es")
    token = make_token(user=pilar, what=Kind.KUDOS.value)
    response = client.get(f"/notifications/unsubscribe/{token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "¿Dejar de recibir estos correos?" in page
    assert "Alguien me da las gracias" in page
    assert 'id="unsubscribe-confirm"' in page
    assert not NotificationSettings.objects.filter(user=pilar).exists()  # a GET changes nothing

    response = client.post(f"/notifications/unsubscribe/{token}/")
    assert "Te has dado de baja" in response.content.decode()
    assert settings_of(pilar).email_off == [Kind.KUDOS.value]


def test_the_digest_link_turns_the_digest_off(client):
    pilar = person("pilar")
    client.post(f"/notifications/unsubscribe/{make_token(user=pilar, what='digest')}/")
    assert settings_of(pilar).digest is False
    assert settings_of(pilar).email_off == []


@pytest.mark.parametrize(
    "token",
    ["nonsense", "eyJ1IjoxLCJ3IjoibWVudGlvbiJ9:1xaBaY:forgedsignature", "a" * 300],
)
def test_a_bad_or_tampered_link_is_a_clear_400(client, token):
    person("grace")
    for method in (client.get, client.post):
        response = method(f"/notifications/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "This unsubscribe link does not work" in response.content.decode()
    assert not NotificationSettings.objects.exists()


def test_a_link_cannot_be_edited_to_name_another_person(client):
    grace, ana = person("grace"), person("ana")
    token = make_token(user=grace, what="mention")
    payload, rest = token.split(":", 1)
    forged = make_token(user=ana, what="mention").split(":", 1)[0] + ":" + rest
    assert client.post(f"/notifications/unsubscribe/{forged}/").status_code == 400
    assert not NotificationSettings.objects.exists()
    assert payload  # the genuine one still works
    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 200
    assert settings_of(grace).email_off == ["mention"]
