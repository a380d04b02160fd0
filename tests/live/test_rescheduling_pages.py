"""The coach's edit and cancel pages of a session: links, forms, refusals on the form, and 404 for others."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.urls import reverse

from circles.models import Circle
from coaching.accounts.models import User
from coaching.live.models import LiveSession
from coaching.live.scheduling import schedule_session
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification

pytestmark = pytest.mark.django_db

OTHERS = [
    "camila",
    "kofi",
    "amani.coach",
    "ana.admin",
]  # a member, another circle's member and coach, an admin


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def puentes(demo) -> Circle:
    return Circle.objects.get(name="Puentes")


@pytest.fixture
def session(puentes) -> LiveSession:
    (session,) = schedule_session(
        coach=user("lucia.coach"),
        circle=puentes,
        title="Kick-off",
        agenda="Wins",
        local_start=dt.datetime(2027, 1, 14, 18, 0),
        duration_minutes=60,
    )
    return session


def as_(client: Any, username: str) -> Any:
    client.force_login(user(username))
    return client


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_it_gives_the_coach_edit_and_cancel_links_and_members_none(client, session, puentes):
    coach_page = page(as_(client, "lucia.coach").get(reverse("circle", args=[puentes.pk])))
    assert f'href="{reverse("session_edit", args=[session.pk])}"' in coach_page
    assert f'href="{reverse("session_cancel", args=[session.pk])}"' in coach_page
    member_page = page(as_(client, "camila").get(reverse("circle", args=[puentes.pk])))
    assert "Kick-off" in member_page
    assert reverse("session_edit", args=[session.pk]) not in member_page
    assert reverse("session_cancel", args=[session.pk]) not in member_page


@pytest.mark.parametrize("username", OTHERS)
def test_only_the_circles_coach_reaches_the_edit_and_cancel_pages(client, session, username):
    as_(client, username)
    for name in ["session_edit", "session_cancel"]:
        url = reverse(name, args=[session.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"title": "x", "date": "2027-01-15", "time": "10:00"}).status_code == 404
    session.refresh_from_db()
    assert (session.title, session.status) == ("Kick-off", LiveSession.Status.SCHEDULED)


def test_signed_out_people_are_sent_to_sign_in(client, session):
    response = client.get(reverse("session_edit", args=[session.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_edit_form_is_prefilled_in_the_coachs_zone(client, session):
    User.objects.filter(username="lucia.coach").update(timezone="America/Bogota")  # she moved
    body = page(as_(client, "lucia.coach").get(reverse("session_edit", args=[session.pk])))
    assert 'value="Kick-off"' in body
    assert 'value="2027-01-14"' in body
    assert 'value="12:00"' in body  # 17:00 UTC on a Bogotá clock
    assert 'name="weeks"' not in body
    assert "America/Bogota" in body


def test_the_coach_moves_the_session_from_the_page_and_members_are_told(client, session, puentes):
    response = as_(client, "lucia.coach").post(
        reverse("session_edit", args=[session.pk]),
        {
            "title": "Kick-off!",
            "agenda": "Wins",
            "date": "2027-01-15",
            "time": "19:30",
            "duration_minutes": 90,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("circle", args=[puentes.pk])
    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2027, 1, 15, 18, 30, tzinfo=dt.UTC)
    assert (session.title, session.duration_minutes) == ("Kick-off!", 90)
    assert Notification.objects.filter(kind=Kind.SESSION_CHANGED, recipient__username="camila").exists()


def test_an_overlap_is_shown_on_the_form_in_spanish_and_what_was_typed_is_kept(client, session, puentes):
    schedule_session(
        coach=user("lucia.coach"), circle=puentes, title="Otra", local_start=dt.datetime(2027, 1, 21, 18, 0)
    )
    response = as_(client, "lucia.coach").post(  # Lucía reads the site in Spanish
        reverse("session_edit", args=[session.pk]),
        {
            "title": "Nuevo título",
            "agenda": "",
            "date": "2027-01-21",
            "time": "19:00",
            "duration_minutes": 60,
        },
    )
    assert response.status_code == 400
    body = page(response)
    assert "Se solapa con «Otra» de Puentes el 2027-01-21 18:00" in body
    assert 'value="Nuevo título"' in body
    session.refresh_from_db()
    assert session.title == "Kick-off"
    assert not Notification.objects.filter(kind=Kind.SESSION_CHANGED).exists()


def test_bad_input_on_the_edit_form_is_refused_without_a_500(client, session):
    response = as_(client, "lucia.coach").post(
        reverse("session_edit", args=[session.pk]),
        {"title": "", "date": "not a date", "time": "25:99", "duration_minutes": "9999"},
    )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.title == "Kick-off"


def test_the_coach_confirms_and_cancels_the_session(client, session, puentes):
    as_(client, "lucia.coach")
    confirm = page(client.get(reverse("session_cancel", args=[session.pk])))
    assert 'id="cancel-form"' in confirm
    assert "Kick-off" in confirm
    response = client.post(reverse("session_cancel", args=[session.pk]), {"reason": "Estoy enferma"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == LiveSession.Status.CANCELLED
    assert session.cancel_reason == "Estoy enferma"
    circle_page = page(client.get(reverse("circle", args=[puentes.pk])))
    assert reverse("session_cancel", args=[session.pk]) not in circle_page
    assert Notification.objects.filter(kind=Kind.SESSION_CANCELLED, recipient__username="camila").exists()
    room = page(as_(client, "camila").get(reverse("session_room", args=[session.pk])))
    assert "Estoy enferma" in room


def test_a_cancelled_or_live_session_is_no_longer_edited(client, session, puentes):
    LiveSession.objects.filter(pk=session.pk).update(status=LiveSession.Status.LIVE)
    as_(client, "lucia.coach")
    for name in ["session_edit", "session_cancel"]:
        response = client.post(reverse(name, args=[session.pk]), {"title": "x"})
        assert response.status_code == 302
        assert response["Location"] == reverse("circle", args=[puentes.pk])
    session.refresh_from_db()
    assert (session.title, session.status) == ("Kick-off", LiveSession.Status.LIVE)
