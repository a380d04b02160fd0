"""Error pages keep the site around the person: navigation, their language, the way back."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from circles.models import Circle
from coaching.accounts.models import User
from tests.urls import BROKEN, FORBIDDEN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_errors(settings):
    """As in production: the handlers' pages, never Django's debug pages."""
    settings.DEBUG = False


def _signed_in(username: str) -> Client:
    # A fault must come back as the 500 page, as a browser sees it, not as an exception in the test.
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    return client


def _styled(page: str, *, lang: str, title: str, way_home: str) -> None:
    """The site around the error: its language, navigation, the page's heading and the way home."""
    assert f'<html lang="{lang}">' in page
    assert 'class="site-header"' in page
    assert f'<h1 id="error-title">{title}</h1>' in page
    assert f'href="{reverse("home")}">{way_home}</a>' in page
    assert "Traceback" not in page


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
    assert 'aria-label="Principal"' in page  # the site's navigation, in Spanish


@pytest.mark.parametrize(
    ("username", "outside", "lang", "title", "way_home"),
    [
        ("kofi", "Puentes", "en", "We could not find that page", "Back to my circles"),
        ("lucia.coach", "Harambee", "es", "No encontramos esa página", "Volver a mis círculos"),
    ],
)
def test_a_missing_page_and_a_circle_you_are_not_in_look_alike_in_your_language(
    demo, username, outside, lang, title, way_home
):
    client = _signed_in(username)
    missing = client.get("/no/such/page/")
    refused = client.get(reverse("circle", args=[Circle.objects.get(name=outside).id]))
    assert missing.status_code == refused.status_code == 404
    for response in (missing, refused):
        _styled(response.content.decode(), lang=lang, title=title, way_home=way_home)
    assert outside not in refused.content.decode()  # nothing says what the circle was


@pytest.mark.parametrize(
    ("username", "lang", "title", "way_home"),
    [
        ("kofi", "en", "You cannot do that here", "Back to my circles"),
        ("lucia.coach", "es", "No puedes hacer eso aquí", "Volver a mis círculos"),
    ],
)
def test_a_refusal_is_the_styled_page_in_your_language(demo, username, lang, title, way_home):
    response = _signed_in(username).get(FORBIDDEN)
    assert response.status_code == 403
    _styled(response.content.decode(), lang=lang, title=title, way_home=way_home)


@pytest.mark.parametrize(
    ("username", "lang", "title", "way_home"),
    [
        ("kofi", "en", "Something went wrong on our side", "Back to my circles"),
        ("lucia.coach", "es", "Algo salió mal por nuestra parte", "Volver a mis círculos"),
    ],
)
def test_a_fault_answers_the_styled_500_page_in_your_language(demo, username, lang, title, way_home):
    response = _signed_in(username).get(BROKEN)
    assert response.status_code == 500
    page = response.content.decode()
    _styled(page, lang=lang, title=title, way_home=way_home)
    assert "a fault a test provokes on purpose" not in page


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
