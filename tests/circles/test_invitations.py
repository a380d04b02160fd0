"""Invitations: a single-use, expiring emailed link that sets a password and lands people in their circle."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from circles import invitations, services
from circles.models import Invitation

User = get_user_model()
NEW_PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture
def newcomer(world):
    """Someone just imported: no usable password, enrolled and already seated in a circle."""
    person = User.objects.create_user(
        username="nadia", email="nadia@example.org", display_name="Nadia Haddad", timezone="Africa/Cairo"
    )
    services.enrol(programme=world.programme, user=person, role="member")
    services.assign_member(actor=world.admin, circle=world.second, member=person)
    return person


def link_in(message) -> str:
    found = re.search(r"https?://\S+/invite/\S+/", message.body)
    assert found is not None, message.body
    return found.group(0)


def choose_password(client, token: str, password: str = NEW_PASSWORD):
    return client.post(
        reverse("invitation", args=[token]), {"new_password1": password, "new_password2": password}
    )


def test_it_emails_an_absolute_single_use_link_and_stores_only_its_hash(world, newcomer):
    token = invitations.invite(user=newcomer, programme=world.programme, base_url="https://circles.example/")

    invitation = Invitation.objects.get(user=newcomer)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert invitation.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    assert invitation.expires_at - timezone.now() <= dt.timedelta(days=7)
    (message,) = mail.outbox
    assert message.to == ["nadia@example.org"]
    assert message.subject == "You are invited to Pilot"
    assert link_in(message) == f"https://circles.example/invite/{token}/"
    assert "Hello Nadia Haddad," in message.body
    assert "Your username is nadia." in message.body


@override_settings(ALLOWED_HOSTS=[".example.org", "circles.example.org"], HTTPS=True)
def test_it_builds_links_from_the_first_real_allowed_host_without_a_request(world, newcomer):
    token = invitations.invite(user=newcomer, programme=world.programme)
    assert link_in(mail.outbox[0]) == f"https://circles.example.org/invite/{token}/"


def test_it_writes_the_email_in_the_persons_language(world, newcomer):
    newcomer.ui_language = "es"
    newcomer.save()
    invitations.invite(user=newcomer, programme=world.programme, base_url="https://circles.example/")
    last_day = timezone.localtime(Invitation.objects.get(user=newcomer).expires_at, newcomer.zone)
    spanish_months = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ]
    assert f"{last_day.day} de {spanish_months[last_day.month - 1]} de {last_day.year}" in mail.outbox[0].body

    invitations.invite(user=world.members[1], programme=world.programme, base_url="https://circles.example/")
    assert " de 20" not in mail.outbox[1].body  # English for an English speaker


def test_it_sends_many_invitations_over_one_connection(world, newcomer, monkeypatch):
    opened = []
    real = invitations.get_connection

    def counting_connection(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(invitations, "get_connection", counting_connection)
    sent = invitations.invite_many(
        users=[newcomer, *world.members], programme=world.programme, base_url="https://circles.example/"
    )
    assert sent == 6 == len(mail.outbox)
    assert opened == [1]
    assert len({link_in(m) for m in mail.outbox}) == 6


def test_it_lets_the_person_choose_a_password_signs_them_in_and_starts_their_first_run(
    client, world, newcomer
):
    token = invitations.invite(user=newcomer, programme=world.programme, base_url="http://testserver/")

    page = client.get(reverse("invitation", args=[token]))
    assert page.status_code == 200
    assert "Welcome, Nadia Haddad" in page.content.decode()
    assert "nadia" in page.content.decode()

    response = choose_password(client, token)

    assert response.status_code == 302
    assert response["Location"] == reverse("first_run_profile")
    # The first run ends in the circle of the programme that invited them.
    assert client.get(reverse("first_run_done"))["Location"] == reverse("circle", args=[world.second.pk])
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(newcomer.pk)
    assert Invitation.objects.get(user=newcomer).used_at is not None


def test_it_lands_someone_without_a_circle_on_the_home_page(client, world):
    person = User.objects.create_user(username="lone", email="lone@example.org")
    services.enrol(programme=world.programme, user=person, role="member")
    token = invitations.invite(user=person, programme=world.programme, base_url="http://testserver/")
    assert choose_password(client, token)["Location"] == reverse("first_run_profile")
    assert client.get(reverse("first_run_done"))["Location"] == reverse("home")


def test_it_refuses_a_used_link_without_signing_in(client, world, newcomer):
    token = invitations.invite(user=newcomer, programme=world.programme, base_url="http://testserver/")
    choose_password(client, token)
    client.logout()

    for response in (
        client.get(reverse("invitation", args=[token])),
        choose_password(client, token, "another long passphrase 77"),
    ):
        assert response.status_code == 410
        assert "This invitation link no longer works" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in client.session


def test_it_refuses_an_expired_link(client, world, newcomer):
    token = invitations.invite(user=newcomer, programme=world.programme, base_url="http://testserver/")
    Invitation.objects.filter(user=newcomer).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = choose_password(client, token)

    assert response.status_code == 410
    assert "This invitation link no longer works" in response.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()
    assert "_auth_user_id" not in client.session


def test_it_answers_404_to_a_token_it_never_issued(client, world, newcomer):
    invitations.invite(user=newcomer, programme=world.programme, base_url="http://testserver/")
    response = client.get(reverse("invitation", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "This invitation link no longer works" in response.content.decode()
    assert choose_password(client, "not-a-real-token").status_code == 404
    assert "_auth_user_id" not in client.session


def test_it_retires_older_links_once_a_password_is_chosen(client, world, newcomer):
    first = invitations.invite(user=newcomer, programme=world.programme, base_url="http://testserver/")
    second = invitations.invite(user=newcomer, programme=world.programme, base_url="http://testserver/")

    choose_password(client, second)

    assert client.get(reverse("invitation", args=[first])).status_code == 410


def test_it_keeps_the_link_usable_when_the_password_is_refused(client, world, newcomer):
    token = invitations.invite(user=newcomer, programme=world.programme, base_url="http://testserver/")

    response = choose_password(client, token, "12345678")

    assert response.status_code == 400
    assert "This password is too common." in response.content.decode()
    assert Invitation.objects.get(user=newcomer).used_at is None
    assert "_auth_user_id" not in client.session
