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
    assert "Bogotá (Colombia)" in body  # the zone the form is in, by its place


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


# ---------------------------------------------------------------- series and clashes on the pages


@pytest.fixture
def weekly(puentes) -> list[LiveSession]:
    return schedule_session(
        coach=user("lucia.coach"),
        circle=puentes,
        title="Weekly",
        local_start=dt.datetime(2027, 2, 4, 18, 0),
        duration_minutes=60,
        weeks=3,
    )


def test_the_edit_and_cancel_pages_offer_the_rest_of_the_series_only_when_there_is_one(
    client, session, weekly
):
    as_(client, "lucia.coach")
    assert 'name="scope"' not in page(client.get(reverse("session_edit", args=[session.pk])))
    assert 'name="scope"' not in page(client.get(reverse("session_cancel", args=[weekly[2].pk])))
    body = page(client.get(reverse("session_edit", args=[weekly[0].pk])))
    assert 'name="scope"' in body
    # Lucía reads the site in Spanish.
    assert "Esta y las 2 sesiones siguientes de la serie" in body
    assert "Esta y la siguiente sesión de la serie" in page(
        client.get(reverse("session_cancel", args=[weekly[1].pk]))
    )


def test_the_coach_moves_the_rest_of_the_series_from_the_page(client, weekly, puentes):
    response = as_(client, "lucia.coach").post(
        reverse("session_edit", args=[weekly[1].pk]),
        {
            "title": "Weekly",
            "date": "2027-02-12",
            "time": "19:00",
            "duration_minutes": 60,
            "scope": "following",
        },
    )
    assert response.status_code == 302
    moved = LiveSession.objects.filter(series=weekly[0].series).order_by("starts_at")
    assert [s.starts_at.isoformat() for s in moved] == [
        "2027-02-04T17:00:00+00:00",
        "2027-02-12T18:00:00+00:00",
        "2027-02-19T18:00:00+00:00",
    ]
    assert Notification.objects.filter(kind=Kind.SESSION_CHANGED, recipient__username="camila").count() == 1


def test_the_coach_cancels_the_rest_of_the_series_from_the_page(client, weekly):
    bad = as_(client, "lucia.coach").post(
        reverse("session_cancel", args=[weekly[0].pk]), {"reason": "", "scope": "all of them"}
    )
    assert bad.status_code == 400
    assert not LiveSession.objects.filter(status="cancelled").exists()
    response = client.post(
        reverse("session_cancel", args=[weekly[1].pk]), {"reason": "Vacaciones", "scope": "following"}
    )
    assert response.status_code == 302
    statuses = LiveSession.objects.filter(series=weekly[0].series).order_by("starts_at")
    assert [(s.status, s.cancel_reason) for s in statuses] == [
        ("scheduled", ""),
        ("cancelled", "Vacaciones"),
        ("cancelled", "Vacaciones"),
    ]


@pytest.fixture
def camila_in_harambee(puentes) -> LiveSession:
    """Camila also sits in Harambee, which meets on 14 January 2027 at 18:30 UTC."""
    from circles import services as circle_services

    harambee = Circle.objects.get(name="Harambee")
    harambee.programme.allow_several_circles = True
    harambee.programme.save(update_fields=["allow_several_circles"])
    circle_services.assign_member(actor=user("ana.admin"), circle=harambee, member=user("camila"))
    (other,) = schedule_session(
        coach=user("amani.coach"),
        circle=harambee,
        title="Harambee private topic",
        local_start=dt.datetime(2027, 1, 14, 21, 30),
        duration_minutes=60,
    )
    return other


def test_booking_over_a_members_other_session_warns_naming_her_then_books_when_confirmed(
    client, puentes, camila_in_harambee
):
    url = reverse("session_schedule", args=[puentes.pk])
    form = {"title": "Kick-off", "date": "2027-01-14", "time": "19:00", "duration_minutes": 90, "weeks": 1}
    User.objects.filter(username="lucia.coach").update(ui_language="en")
    response = as_(client, "lucia.coach").post(url, form)
    assert response.status_code == 200
    body = page(response)
    warning = body.split('id="clash-warning"', 1)[1].split("</div>", 1)[0]
    assert "Camila Rojas has another session then" in warning
    assert "Thu 14 Jan 2027, 19:00" in warning  # the Puentes session's time on Lucía's clock
    assert "Harambee" not in body  # not her business where Camila is
    assert 'value="Kick-off"' in body
    assert not LiveSession.objects.filter(circle=puentes).exists()
    digest = body.split('name="confirm" value="', 1)[1].split('"', 1)[0]
    confirmed = client.post(url, {**form, "confirm": digest})
    assert confirmed.status_code == 302
    assert LiveSession.objects.filter(circle=puentes, title="Kick-off").exists()


def test_moving_a_session_over_a_members_clash_warns_on_the_edit_page(client, session, camila_in_harambee):
    response = as_(client, "lucia.coach").post(
        reverse("session_edit", args=[session.pk]),
        {"title": "Kick-off", "date": "2027-01-14", "time": "19:00", "duration_minutes": 60},
    )
    assert response.status_code == 200
    assert 'data-person="camila"' in page(response)
    assert 'id="confirm-clashes"' in page(response)
    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2027, 1, 14, 17, 0, tzinfo=dt.UTC)
