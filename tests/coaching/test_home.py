"""The home page: a person's own circles, nobody else's."""

from __future__ import annotations

import socket

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from circles.models import Circle, Membership
from circles.services import close_circle
from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_member_sees_their_circle_with_its_coach_and_members(client, demo):
    client.force_login(User.objects.get(username="kofi"))
    page = client.get(reverse("home")).content.decode()
    assert "Harambee" in page
    assert "Amani Wanjiru" in page
    assert "Grace Achieng" in page
    assert "Puentes" not in page
    assert "Horizonte" not in page


def test_a_coach_sees_the_circle_they_lead(client, demo):
    client.force_login(User.objects.get(username="lucia.coach"))
    page = client.get(reverse("home")).content.decode()
    assert "Puentes" in page
    assert "eres su coach" in page  # Lucía reads the site in Spanish


def test_someone_who_left_no_longer_sees_the_circle(client, demo):
    kofi = User.objects.get(username="kofi")
    Membership.objects.filter(user=kofi).update(left_at="2026-01-01T00:00:00Z")
    client.force_login(kofi)
    page = client.get(reverse("home")).content.decode()
    # Being told once that they joined is history; the circle itself is gone from the page.
    harambee = Circle.objects.get(name="Harambee")
    assert f'href="{reverse("circle", args=[harambee.pk])}"' not in page
    assert "You are not in a circle yet." in page


def test_a_member_whose_circle_closed_is_told_so_not_that_they_await_a_circle(client, demo):
    harambee = Circle.objects.get(name="Harambee")
    grace = User.objects.get(username="grace")
    Membership.objects.filter(user=grace).update(left_at="2026-01-01T00:00:00Z")  # left before it closed
    close_circle(actor=None, circle=harambee, reason="the cohort ended")
    kofi = User.objects.get(username="kofi")
    kofi.ui_language = "en"
    kofi.save(update_fields=["ui_language"])
    client.force_login(kofi)
    page = client.get(reverse("home")).content.decode()
    assert "Harambee closed on " in page
    assert "You are not in a circle yet." not in page
    client.force_login(grace)  # she had left it: nothing closed on her
    page = client.get(reverse("home")).content.decode()
    assert "closed on" not in page
    assert "You are not in a circle yet." in page


def test_a_person_without_circles_sees_the_empty_state(client):
    client.force_login(User.objects.create_user(username="newbie", password="x"))
    assert "You are not in a circle yet." in client.get(reverse("home")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_the_home_page_runs_a_fixed_number_of_queries(client, demo, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="ana.admin"))
    for username in ["kofi", "lucia.coach", "jorge"]:
        client.force_login(User.objects.get(username=username))
        # Session, user, circles, threads, programmes run, nav, the bell, commitments, newest notifications,
        # sessions, goals: fixed, any data.
        with django_assert_max_num_queries(12):
            client.get(reverse("home"))


def test_health_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_answers_ok_when_the_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_503_naming_redis_when_it_is_unreachable(client, settings):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        settings.REDIS_URL = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content.decode() == "redis unreachable: ConnectionError\n"


def test_ready_answers_503_naming_the_database_when_it_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content.decode() == "database unreachable: OperationalError\n"
    assert client.get("/healthz").status_code == 200  # the process itself is alive
