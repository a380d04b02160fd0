"""Member profile cards and photos (circles/people.py, people_views.py; the photo from the profile form)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from circles import services
from coaching.accounts.models import User, avatar_storage

pytestmark = pytest.mark.django_db


def png(color: str = "blue", size: tuple[int, int] = (600, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def seated(world):
    """m0 and m1 in Alpha (coach: coach), m2 in Beta; m0 has told her circle about herself."""
    m0, m1, m2 = world.members[:3]
    for member, circle in ((m0, world.circle), (m1, world.circle), (m2, world.second)):
        services.assign_member(actor=world.admin, circle=circle, member=member)
    m0.bio, m0.working_on, m0.languages = "Engineer in Bogotá.", "A career change", ["es", "sw"]
    m0.save()
    return m0, m1, m2


def card_of(client, reader: User, person: User):
    client.force_login(reader)
    return client.get(reverse("person_card", args=[person.pk]))


def test_a_circle_mate_sees_the_card_in_their_own_language(client, world, seated):
    m0, m1, _m2 = seated
    m1.ui_language = "es"
    m1.save()
    page = card_of(client, m1, m0).content.decode()
    assert "Engineer in Bogotá." in page
    assert "A career change" in page
    assert "Español, Suajili" in page
    assert "Bogotá (Colombia)" in page
    assert 'class="avatar large" aria-hidden="true">M<' in page  # initials ("M0"): no photo yet


def test_the_coach_and_the_programme_admin_see_the_card(client, world, seated):
    m0 = seated[0]
    assert card_of(client, world.coach, m0).status_code == 200
    assert card_of(client, world.admin, m0).status_code == 200


@pytest.mark.parametrize("reader", ["other circle", "other programme", "other admin"])
def test_anyone_else_gets_404(client, world, seated, reader):
    m0, _m1, m2 = seated
    who = {"other circle": m2, "other programme": world.outsider, "other admin": world.other_admin}[reader]
    assert card_of(client, who, m0).status_code == 404
    assert client.get(reverse("person_photo", args=[m0.pk])).status_code == 404


def test_someone_who_left_the_circle_no_longer_sees_the_card(client, world, seated):
    m0, m1, _m2 = seated
    services.remove_member(actor=world.admin, circle=world.circle, member=m1, reason="moved")
    assert card_of(client, m1, m0).status_code == 404


def test_the_circle_page_links_each_person_to_their_card(client, world, seated):
    m0, m1, _m2 = seated
    services.accept_charter(user=m1, circle=world.circle)
    client.force_login(m1)
    page = client.get(reverse("circle", args=[world.circle.pk])).content.decode()
    assert f'href="{reverse("person_card", args=[m0.pk])}"' in page
    assert f'href="{reverse("person_card", args=[world.coach.pk])}"' in page


def save_profile(client, user: User, **extra):
    data = {
        "display_name": user.name,
        "timezone": user.timezone,
        "languages": user.languages,
        "ui_language": "en",
        "bio": "",
        "working_on": "",
        **extra,
    }
    return client.post(reverse("profile"), data)


def test_an_uploaded_photo_becomes_a_square_webp_served_only_to_circle_mates(client, world, seated):
    m0, m1, _m2 = seated
    client.force_login(m0)
    response = save_profile(client, m0, photo=SimpleUploadedFile("me.png", png(), content_type="image/png"))
    assert response.status_code == 302
    m0.refresh_from_db()
    with avatar_storage().open(m0.photo.name) as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("WEBP", (256, 256))

    client.force_login(m1)
    card = client.get(reverse("person_card", args=[m0.pk])).content.decode()
    assert f'src="{reverse("person_photo", args=[m0.pk])}?v=' in card
    photo = client.get(reverse("person_photo", args=[m0.pk]))
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/webp"
    assert photo["X-Content-Type-Options"] == "nosniff"


def test_a_new_photo_replaces_the_old_file_and_removing_it_leaves_initials(
    client, world, seated, django_capture_on_commit_callbacks
):
    m0 = seated[0]
    client.force_login(m0)
    with django_capture_on_commit_callbacks(execute=True):
        save_profile(client, m0, photo=SimpleUploadedFile("a.png", png("red")))
    m0.refresh_from_db()
    first = m0.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        save_profile(client, m0, photo=SimpleUploadedFile("b.png", png("green")))
    m0.refresh_from_db()
    assert m0.photo.name != first
    assert not avatar_storage().exists(first)
    second = m0.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        save_profile(client, m0, remove_photo="on")
    m0.refresh_from_db()
    assert not m0.photo
    assert not avatar_storage().exists(second)


def test_a_hostile_image_is_refused_with_a_clear_message_and_nothing_is_stored(client, world, seated):
    m0 = seated[0]
    client.force_login(m0)
    before = set(avatar_storage().listdir("")[1]) if avatar_storage().exists("") else set()
    polyglot = png() + b"<script>alert(1)</script>"
    response = save_profile(client, m0, photo=SimpleUploadedFile("x.png", polyglot), bio="Changed")
    assert response.status_code == 400
    assert "This file contains web page code, so it cannot be used." in response.content.decode()
    m0.refresh_from_db()
    assert not m0.photo
    assert m0.bio == "Engineer in Bogotá."  # nothing of the refused form was saved
    after = set(avatar_storage().listdir("")[1]) if avatar_storage().exists("") else set()
    assert after == before


def test_erasing_an_account_removes_the_photo_bio_and_card(
    client, world, seated, django_capture_on_commit_callbacks
):
    from coaching.privacy.services import erase_account

    m0, m1, _m2 = seated
    client.force_login(m0)
    with django_capture_on_commit_callbacks(execute=True):
        save_profile(client, m0, photo=SimpleUploadedFile("me.png", png()), bio="Engineer in Bogotá.")
    m0.refresh_from_db()
    stored = m0.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        erase_account(user=m0, actor=m0)
    m0.refresh_from_db()
    assert (m0.bio, m0.working_on, m0.photo.name) == ("", "", "")
    assert not avatar_storage().exists(stored)
    assert card_of(client, m1, m0).status_code == 404
