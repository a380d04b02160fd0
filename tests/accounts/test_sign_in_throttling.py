"""Login throttling (django-axes, by username and IP address together) and Argon2 password hashing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.test import Client, override_settings
from django.urls import reverse

from coaching.accounts.models import User
from coaching.settings import PASSWORD_HASHERS as PRODUCTION_HASHERS

pytestmark = pytest.mark.django_db
PASSWORD = "right-pass-4321"
LOCKED = "Too many failed sign-ins. Try again in 15 minutes or reset your password."


@pytest.fixture
def grace():
    return User.objects.create_user(username="grace", password=PASSWORD, email="grace@example.org")


def sign_in(client: Client, username: str, password: str, *, ip: str = "203.0.113.7", language: str = "en"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        headers={"accept-language": language},
    )


def fail(client: Client, username: str, times: int, *, ip: str = "203.0.113.7") -> None:
    """Wrong passwords: the usual message, and from the fifth on the lockout."""
    for attempt in range(1, times + 1):
        response = sign_in(client, username, "wrong", ip=ip)
        if attempt < settings.AXES_FAILURE_LIMIT:
            assert response.status_code == 200
            assert "That username and password don’t match." in response.content.decode()
        else:
            assert response.status_code == 429
            assert LOCKED in response.content.decode()


def signed_in(client: Client) -> bool:
    return client.get(reverse("home")).status_code == 200


def test_after_five_failures_even_the_right_password_is_refused_with_a_clear_message(client, grace):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail(client, "grace", 5)
    response = sign_in(client, "grace", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page
    assert '<form method="post" class="form"' in page  # the sign-in page, not a bare error page
    assert 'value="grace"' in page
    assert not signed_in(client)


def test_four_failures_still_let_the_right_password_in(client, grace):
    fail(client, "grace", 4)
    assert sign_in(client, "grace", PASSWORD).status_code == 302
    assert signed_in(client)


def test_after_the_cool_off_the_right_password_signs_in(client, grace):
    fail(client, "grace", 5)
    assert sign_in(client, "grace", PASSWORD).status_code == 429
    # Sixteen minutes pass.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))
    response = sign_in(client, "grace", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_someone_elses_failures_lock_neither_another_name_on_that_address_nor_that_name_elsewhere(grace):
    User.objects.create_user(username="kofi", password=PASSWORD)
    fail(Client(), "grace", 6)
    kofi = Client()
    assert sign_in(kofi, "kofi", PASSWORD).status_code == 302
    assert signed_in(kofi)
    grace_at_home = Client()
    assert sign_in(grace_at_home, "grace", PASSWORD, ip="198.51.100.20").status_code == 302
    assert signed_in(grace_at_home)


def test_an_admin_unlocks_a_person_with_axes_reset_username(client, grace):
    fail(client, "grace", 5)
    call_command("axes_reset_username", "grace")
    assert sign_in(client, "grace", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_password_reset_by_email_lifts_the_lockout(client, grace):
    fail(client, "grace", 5)
    client.post(reverse("password_reset"), {"email": "grace@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "fresh-pass-5555", "new_password2": "fresh-pass-5555"})
    assert response.status_code == 302
    assert sign_in(client, "grace", "fresh-pass-5555").status_code == 302
    assert signed_in(client)


def test_the_lockout_speaks_spanish_to_a_spanish_browser(client, grace):
    fail(client, "grace", 5)
    response = sign_in(client, "grace", PASSWORD, language="es")
    assert response.status_code == 429
    assert '<html lang="es">' in response.content.decode()
    assert "Demasiados intentos fallidos. Vuelve a intentarlo en 15 minutos" in response.content.decode()


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_a_new_password_is_stored_with_argon2(client, grace):
    grace.set_password("a-new-pass-9876")
    grace.save()
    grace.refresh_from_db()
    assert grace.password.startswith("argon2$argon2id$")
    assert sign_in(client, "grace", "a-new-pass-9876").status_code == 302


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_an_old_pbkdf2_password_still_signs_in_and_is_rehashed_with_argon2(client):
    ada = User.objects.create(username="ada", password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert ada.password.startswith("pbkdf2_sha256$")
    assert sign_in(client, "ada", PASSWORD).status_code == 302
    ada.refresh_from_db()
    assert ada.password.startswith("argon2$")
    assert ada.check_password(PASSWORD)
