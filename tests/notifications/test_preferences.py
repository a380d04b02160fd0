"""Notification preferences on the profile: per kind email and push, the digest, quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest

from coaching.accounts.models import User
from coaching.notifications.kinds import Kind
from coaching.notifications.services import settings_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilar(client) -> User:
    user = User.objects.create_user(
        username="pilar", password="pw", timezone="America/Bogota", email="pilar@example.org"
    )
    client.force_login(user)
    return user


def choices(**changes: object) -> dict[str, object]:
    """The form as the browser posts it with every box ticked, then `changes` (False unticks a box)."""
    data: dict[str, object] = {"notify-digest": "on", "notify-summary": "on"}
    data |= {"notify-quiet_from": "22:00", "notify-quiet_until": "08:00"}
    for kind in Kind:
        data[f"notify-email_{kind.value}"] = "on"
        data[f"notify-push_{kind.value}"] = "on"
    for key, value in changes.items():
        if value is False:
            data.pop(f"notify-{key}")
        else:
            data[f"notify-{key}"] = value
    return data


def test_the_profile_shows_every_kind_with_email_and_push_boxes_and_the_zone(client, pilar):
    page = client.get("/accounts/profile/").content.decode()
    assert 'id="notification-preferences"' in page
    assert "<legend>Messages</legend>" in page
    assert "Someone mentions me" in page
    for kind in Kind:
        assert f'name="notify-email_{kind.value}"' in page
        assert f'name="notify-push_{kind.value}"' in page
    label = '<label for="id_notify-email_mention" class="visually-hidden">Someone mentions me: email</label>'
    assert label in page
    assert "own clock (Bogotá (Colombia))" in page  # quiet hours are on her clock; it says where


def test_it_saves_what_she_turns_off(client, pilar):
    response = client.post(
        "/notifications/preferences/",
        choices(email_kudos=False, push_mention=False, digest=False, quiet_from="23:30", quiet_until="07:15"),
    )
    assert response.status_code == 302
    saved = settings_of(pilar)
    assert saved.email_off == ["kudos"]
    assert saved.push_off == ["mention"]
    assert saved.digest is False
    assert (saved.quiet_from, saved.quiet_until) == (dt.time(23, 30), dt.time(7, 15))

    page = client.get("/accounts/profile/").content.decode()
    assert 'name="notify-email_kudos" id="id_notify-email_kudos"' in page
    assert 'name="notify-email_kudos" id="id_notify-email_kudos" checked' not in page
    assert 'value="23:30"' in page


def test_a_bad_time_is_refused_in_her_language_and_nothing_she_chose_is_lost(client, pilar):
    pilar.ui_language = "es"
    pilar.save()
    response = client.post(
        "/notifications/preferences/",
        choices(email_kudos=False, quiet_from="25:99"),
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Escribe una hora válida." in page  # our tú, not Django's usted "Introduzca"
    assert 'name="notify-email_kudos" id="id_notify-email_kudos" checked' not in page  # still unticked
    assert 'value="25:99"' in page
    assert settings_of(pilar).pk is None  # nothing stored


def test_only_a_signed_in_person_may_change_them(client):
    response = client.post("/notifications/preferences/", choices())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
