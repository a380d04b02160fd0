"""The profile page: display name, time zone, languages and site language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    user = User.objects.create_user(username="kofi", password="pw-123456!", timezone="Africa/Accra")
    client.force_login(user)
    return user


def save(client, **fields):
    data = {"display_name": "Kofi M.", "timezone": "Africa/Accra", "languages": ["en"], "ui_language": "en"}
    data.update(fields)
    return client.post(reverse("profile"), data)


def test_it_saves_the_profile(client, person):
    response = save(client, display_name="Kofi Mensah", timezone="America/Bogota", languages=["en", "sw"])
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.display_name, person.timezone, person.languages) == (
        "Kofi Mensah",
        "America/Bogota",
        ["en", "sw"],
    )


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("Mars/Olympus_Mons", "is not a time zone we know"),
        ("UTC+2", "is not a time zone we know"),
        ("<script>alert(1)</script>", "is not a time zone we know"),
        ("x" * 500, "Ensure this value has at most 64 characters"),
    ],
)
def test_it_refuses_an_unknown_time_zone_and_keeps_the_old_one(client, person, zone, message):
    response = save(client, timezone=zone)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>alert(1)</script>" not in response.content.decode()
    person.refresh_from_db()
    assert person.timezone == "Africa/Accra"


def test_it_refuses_an_unknown_language(client, person):
    response = save(client, languages=["en", "klingon"])
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.languages == []


def test_the_error_speaks_the_persons_language(client, person):
    person.ui_language = "es"
    person.save()
    response = save(client, timezone="Nowhere/Land", ui_language="es")
    assert "no es una zona horaria que conozcamos" in response.content.decode()


def test_the_model_refuses_a_bad_zone_too():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        User(username="x", timezone="Europe/Atlantis").full_clean()


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_times_appear_in_the_readers_zone(client, person):
    person.timezone = "Asia/Tokyo"
    person.save()
    page = client.get(reverse("home")).content.decode()
    assert "Asia/Tokyo" in page


def test_switching_language_is_remembered_for_a_signed_in_person(client, person):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.ui_language == "es"
    assert "Mis círculos" in client.get("/").content.decode()


def test_an_unknown_language_choice_changes_nothing(client, person):
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    person.refresh_from_db()
    assert person.ui_language == "en"
