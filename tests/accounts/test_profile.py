"""The profile page: display name, time zone, languages and site language."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

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
        ("x" * 500, "is not a time zone we know"),
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
    assert "Tokyo (Japan)" in page


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


# The profile page and the CSV import refuse (and accept) the same values, in the same words.


def import_problems(**cells: str) -> list[str]:
    """What the import's dry run says about one row (line 2) carrying these values."""
    from circles.importers import check_people

    row = {"email": "kofi@example.org", "name": "Kofi", "role": "member", "timezone": "Africa/Accra"}
    row |= {"languages": "", "focus_areas": "", "availability": "", **cells}
    _people, errors = check_people([(2, row)], existing={})
    assert {error.line for error in errors} <= {2}
    return [error.message for error in errors]


def profile_problems(client: Any, field: str, value: Any) -> list[str]:
    response = save(client, **{field: value})
    assert response.status_code == 400
    problems = [str(message) for message in response.context["form"].errors[field]]
    page = response.content.decode()
    assert all(escape(problem) in page for problem in problems)
    return problems


@pytest.mark.parametrize(
    ("field", "profile_value", "import_value"),
    [
        ("timezone", "Mars/Olympus_Mons", "Mars/Olympus_Mons"),
        ("timezone", "Europe/" + "x" * 80, "Europe/" + "x" * 80),
        ("languages", ["en", "klingon"], "en; klingon"),
        ("display_name", "N" * 121, "N" * 121),
    ],
    ids=["unknown-time-zone", "over-long-time-zone", "unknown-language", "over-long-name"],
)
def test_it_refuses_what_the_import_refuses_with_the_same_sentence(
    client, person, field, profile_value, import_value
):
    column = {"display_name": "name"}.get(field, field)
    refused = profile_problems(client, field, profile_value)
    assert refused
    assert import_problems(**{column: import_value}) == refused
    person.refresh_from_db()
    assert person.timezone == "Africa/Accra"


def test_it_speaks_the_same_spanish_sentence_as_the_import(client, person):
    person.ui_language = "es"
    person.save()
    response = save(client, languages=["klingon"], ui_language="es")
    assert response.status_code == 400
    refused = [str(message) for message in response.context["form"].errors["languages"]]
    with translation.override("es"):
        assert import_problems(languages="klingon") == refused
    assert refused[0].startswith("Código de idioma desconocido")


def test_it_accepts_what_the_import_accepts(client, person):
    assert import_problems(timezone=" europe/madrid ", languages="EN; sw", name="  Kofi   Mensah ") == []
    response = save(client, timezone=" europe/madrid ", display_name="  Kofi   Mensah ", languages=["sw"])
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.timezone, person.display_name) == ("Europe/Madrid", "Kofi Mensah")


def test_it_refuses_an_availability_window_that_ends_before_it_starts_in_the_same_words(db):
    import datetime as dt

    from django.core.exceptions import ValidationError

    from coaching.accounts.models import AvailabilityWindow

    with pytest.raises(ValidationError) as refused:
        AvailabilityWindow(weekday=1, starts_at=dt.time(20), ends_at=dt.time(18)).clean()
    assert import_problems(availability="Tue 20:00-18:00") == refused.value.messages


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Kofi\nBcc: x@example.org", "This text must be one line."),
        ("Kofi\x00", "This text cannot contain control characters."),
    ],
)
def test_a_name_that_is_not_one_line_of_text_is_refused(client, person, name, message):
    response = save(client, display_name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    person.refresh_from_db()
    assert person.display_name == ""


@pytest.mark.parametrize("name", ["", "   ", "\u00a0 "])
def test_it_refuses_an_empty_display_name_and_keeps_the_old_one(client, person, name):
    User.objects.filter(pk=person.pk).update(display_name="Kofi Mensah")
    response = save(client, display_name=name)
    assert response.status_code == 400
    assert "Enter a name: it cannot be empty or only spaces." in response.content.decode()
    person.refresh_from_db()
    assert person.display_name == "Kofi Mensah"


def test_it_names_the_field_of_a_required_error(client, person):
    response = save(client, ui_language="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." not in page
    assert escape("Choose “Language of the site”.") in page or "Choose “Language of the site”." in page
