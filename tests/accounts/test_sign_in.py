"""Signing in and out, changing and resetting a password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace():
    return User.objects.create_user(username="grace", password="old-pass-4321", email="grace@example.org")


def test_it_signs_in_with_username_and_password_and_out_again(client, grace):
    response = client.post(reverse("login"), {"username": "grace", "password": "old-pass-4321"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_says_so_and_signs_nobody_in(client, grace):
    response = client.post(reverse("login"), {"username": "grace", "password": "nope"})
    assert response.status_code == 200
    assert "That username and password don’t match." in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_the_sign_in_page_speaks_spanish_to_a_spanish_browser(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Iniciar sesión" in page
    assert '<html lang="es">' in page


def test_it_changes_the_password(client, grace):
    client.force_login(grace)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "old-pass-4321",
            "new_password1": "a-new-pass-9876",
            "new_password2": "a-new-pass-9876",
        },
    )
    assert response.status_code == 302
    grace.refresh_from_db()
    assert grace.check_password("a-new-pass-9876")


def test_it_resets_a_forgotten_password_by_email_once(client, grace):
    client.post(reverse("password_reset"), {"email": "grace@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "fresh-pass-5555", "new_password2": "fresh-pass-5555"})
    assert response.status_code == 302
    grace.refresh_from_db()
    assert grace.check_password("fresh-pass-5555")
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_the_reset_email_speaks_the_accounts_language_whatever_browser_asked(client, grace):
    grace.ui_language = "es"
    grace.save(update_fields=["ui_language"])
    client.post(reverse("password_reset"), {"email": "grace@example.org"}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body.startswith("Hola")


def test_a_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, grace):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


# Django's Spanish says "usted" ("Su contraseña…", "Introduzca…"); the site says "tú" everywhere.
USTED = re.compile(r"\b(Su|su|sus|Introduzca|introduzca|Ingrese|Escriba|vuelva|Por favor)\b")


def test_the_password_pages_never_say_usted_in_spanish(client, grace):
    grace.ui_language = "es"
    grace.save(update_fields=["ui_language"])
    pages = {
        "reset": client.post(
            reverse("password_reset"), {"email": "not-an-address"}, HTTP_ACCEPT_LANGUAGE="es"
        ),
        "sign-in": client.post(
            reverse("login"), {"username": "grace", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="es"
        ),
    }
    client.force_login(grace)
    pages["change"] = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "1234", "new_password2": "12345"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    for name, response in pages.items():
        page = response.content.decode()
        assert '<html lang="es">' in page, name
        main = page.split("<main", 1)[1]
        assert USTED.findall(main) == [], name
    assert "help" in pages["change"].content.decode()  # the rules are shown, in our words
