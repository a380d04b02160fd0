"""Error pages keep the site around the person: navigation, their language, the way back."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from circles.models import Circle
from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_circle_you_are_not_in_is_a_styled_page_with_the_way_home(client, demo):
    client.force_login(User.objects.get(username="kofi"))
    puentes = Circle.objects.get(name="Puentes")
    response = client.get(reverse("circle", args=[puentes.id]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page
    assert "Not Found" not in page
    assert 'aria-label="Main"' in page  # the site's navigation is there
    assert f'href="{reverse("home")}"' in page
    assert "Puentes" not in page  # nothing says what the circle was


def test_a_missing_page_speaks_the_readers_language(client, demo):
    client.force_login(User.objects.get(username="lucia.coach"))  # reads Spanish
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "No encontramos esa página" in page


def test_anonymous_visitors_get_the_styled_page_too(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_a_forbidden_page_and_an_expired_form_say_what_to_do(client, demo):
    kofi = User.objects.get(username="kofi")
    csrf_client = client.__class__(enforce_csrf_checks=True)
    csrf_client.force_login(kofi)
    response = csrf_client.post(reverse("profile"), {"display_name": "Kofi"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "That form had expired" in page
    assert 'aria-label="Main"' in page
    forbidden = defaults.permission_denied(RequestFactory().get("/"), PermissionError())
    assert forbidden.status_code == 403
    assert "You cannot do that here" in forbidden.content.decode()


def test_a_server_error_page_needs_nothing_from_the_request_and_is_translated():
    with translation.override("es"):
        response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Algo salió mal" in page
    assert "Traceback" not in page


def test_the_favicon_is_found(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    body = b"".join(icon.streaming_content) if icon.streaming else icon.content
    assert b"<svg" in body
