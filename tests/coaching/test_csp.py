"""Every page carries a Content-Security-Policy that runs only our scripts: its own nonce, no inline code."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from circles.models import Circle
from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


def policy(response: HttpResponse) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as directive -> sources."""
    header = response.headers["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def nonce_of(response: HttpResponse) -> str:
    """The nonce the policy allows scripts with."""
    nonces = [s for s in policy(response)["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1, policy(response)["script-src"]
    return nonces[0].removeprefix("'nonce-").removesuffix("'")


def assert_strict(response: HttpResponse) -> None:
    """Scripts only from the site or with this response's nonce, and the page's every script carries it."""
    assert response.status_code == 200
    directives = policy(response)
    script_src = directives["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "'self'" in script_src
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    nonce = nonce_of(response)
    page = response.content.decode()
    # Every <script> is either a file of ours or data (json_script), and carries no handler of its own.
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert f'nonce="{nonce}"' in page
    for tag in re.findall(r"<style\b[^>]*>", page):  # a chart's own colours
        assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"\son[a-z]+=", page), "inline event handler"
    assert "javascript:" not in page


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_sign_in_page_has_a_strict_policy_with_a_nonce(client):
    assert_strict(client.get(reverse("login")))


@pytest.mark.parametrize("name", ["home", "profile", "progress_mine"])
def test_a_members_pages_have_a_strict_policy(demo, name):
    assert_strict(signed_in("kofi").get(reverse(name)))


def test_a_members_circle_page_has_a_strict_policy(demo):
    harambee = Circle.objects.get(name="Harambee")
    assert_strict(signed_in("kofi").get(reverse("circle", args=[harambee.pk])))


def test_a_coachs_pages_have_a_strict_policy(demo):
    coach = demo["circles"][0]["coach"]
    circle = demo["circles"][0]["id"]
    client = signed_in(coach)
    for url in [reverse("session_schedule", args=[circle]), reverse("progress_circle", args=[circle])]:
        assert_strict(client.get(url))


def test_a_programme_admins_pages_have_a_strict_policy(demo):
    programme = demo["programme"]["id"]
    client = signed_in(demo["admins"][0])
    for url in [
        reverse("programme_dashboard", args=[programme]),
        reverse("programme_roster", args=[programme, demo["circles"][0]["id"]]),
        reverse("progress_programme", args=[programme]),
    ]:
        assert_strict(client.get(url))


def test_each_response_has_its_own_nonce(client):
    first, second = client.get(reverse("login")), client.get(reverse("login"))
    assert nonce_of(first) != nonce_of(second)


def test_sockets_to_the_site_are_allowed_and_framing_is_not(client):
    directives = policy(client.get(reverse("login")))
    assert "'self'" in directives["connect-src"]
    assert any(source.startswith(("ws://", "wss://")) for source in directives["connect-src"])
    assert directives["form-action"] == ["'self'"]
