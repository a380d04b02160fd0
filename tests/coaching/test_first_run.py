"""The invitee's first run (coaching/first_run.py) and the home page's empty states."""

from __future__ import annotations

import pytest
from django.urls import reverse

from circles import invitations, services
from circles.models import Membership, Programme
from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def circle_world():
    admin = User.objects.create_user(username="ana", password="pw", is_programme_admin=True)
    programme = Programme.objects.create(name="Pilot", languages=["es", "en"])
    programme.admins.add(admin)
    coach = User.objects.create_user(username="amani", display_name="Amani", timezone="Africa/Nairobi")
    services.enrol(programme=programme, user=coach, role="coach")
    circle = services.create_circle(
        actor=admin, programme=programme, name="Harambee", language="en", coach=coach
    )
    circle.charter = "Be kind. What is said here stays here."
    circle.save()
    newcomer = User.objects.create_user(username="nadia", email="nadia@example.org", timezone="UTC")
    services.enrol(programme=programme, user=newcomer, role="member")
    services.assign_member(actor=admin, circle=circle, member=newcomer)
    return programme, circle, coach, newcomer


def test_it_walks_the_invitee_through_profile_charter_people_and_notifications_to_the_circle(
    client, circle_world
):
    programme, circle, coach, newcomer = circle_world
    token = invitations.invite(user=newcomer, programme=programme, base_url="http://testserver/")
    response = client.post(
        reverse("invitation", args=[token]),
        {"new_password1": "a-Long-password-42", "new_password2": "a-Long-password-42"},
    )
    assert response["Location"] == reverse("first_run_profile")

    page = client.get(reverse("first_run_profile")).content.decode()
    assert 'aria-current="step">1. Your profile' in page
    assert 'name="ui_language"' not in page  # only what a circle needs to know
    refused = client.post(reverse("first_run_profile"), {"display_name": "", "timezone": "Europe/Madrid"})
    assert refused.status_code == 400
    assert "Fill in “Display name”." in refused.content.decode()

    saved = client.post(
        reverse("first_run_profile"),
        {"display_name": "Nadia Haddad", "timezone": "Africa/Lagos", "languages": ["ar", "en"]},
    )
    assert saved["Location"] == reverse("first_run_charter")
    newcomer.refresh_from_db()
    assert (newcomer.name, newcomer.timezone, newcomer.languages) == (
        "Nadia Haddad",
        "Africa/Lagos",
        ["ar", "en"],
    )

    # Meeting the circle waits for the charter.
    assert client.get(reverse("first_run_people"))["Location"] == reverse("first_run_charter")
    charter = client.get(reverse("first_run_charter")).content.decode()
    assert "What is said here stays here." in charter
    accepted = client.post(
        reverse("circle_accept_charter", args=[circle.pk]), {"next": reverse("first_run_people")}
    )
    assert accepted["Location"] == reverse("first_run_people")
    assert Membership.objects.current().get(user=newcomer).charter_accepted_at is not None
    # Accepted: the charter step is passed over.
    assert client.get(reverse("first_run_charter"))["Location"] == reverse("first_run_people")

    people = client.get(reverse("first_run_people")).content.decode()
    assert f'data-person-card="{coach.username}"' in people
    assert "Nairobi (Kenya)" in people

    assert client.get(reverse("first_run_notifications")).status_code == 200
    choices = client.post(
        reverse("notification_preferences"),
        {
            "next": reverse("first_run_done"),
            "notify-digest": "on",
            "notify-quiet_from": "21:00",
            "notify-quiet_until": "07:00",
        },
    )
    assert choices["Location"] == reverse("first_run_done")
    assert client.get(reverse("first_run_done"))["Location"] == reverse("circle", args=[circle.pk])


def test_the_charter_acceptance_refuses_to_send_anyone_off_site(client, circle_world):
    _programme, circle, _coach, newcomer = circle_world
    client.force_login(newcomer)
    response = client.post(
        reverse("circle_accept_charter", args=[circle.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("circle", args=[circle.pk])


def test_someone_not_placed_yet_is_told_what_happens_next(client):
    client.force_login(User.objects.create_user(username="lone"))
    page = client.get(reverse("home")).content.decode()
    assert "You are not in a circle yet." in page
    assert "When you are placed, you get an email and a notification" in page
    assert f'href="{reverse("first_run_profile")}"' in page
    assert client.get(reverse("first_run_people"))["Location"] == reverse("first_run_notifications")
    assert client.get(reverse("first_run_done"))["Location"] == reverse("home")


def test_an_admin_home_lists_their_programmes_with_next_actions(client, circle_world):
    programme, _circle, _coach, _newcomer = circle_world
    waiting = User.objects.create_user(username="waiting")
    services.enrol(programme=programme, user=waiting, role="member")
    empty = Programme.objects.create(name="Next year")
    admin = User.objects.get(username="ana")
    empty.admins.add(admin)
    client.force_login(admin)
    page = client.get(reverse("home")).content.decode()
    assert "You are not in a circle yet." not in page
    assert "Programmes you run" in page
    assert "1 person still to place" in page
    assert f'href="{reverse("programme_matching", args=[programme.pk])}"' in page
    assert f'href="{reverse("programme_import", args=[empty.pk])}"' in page


def test_a_coach_home_has_no_empty_goals_heading(client, circle_world):
    _programme, circle, coach, _newcomer = circle_world
    client.force_login(coach)
    page = client.get(reverse("home")).content.decode()
    assert "Your goals this week" not in page
    assert "Your circles&#x27; progress" in page or "Your circles' progress" in page
    assert f'href="{reverse("progress_circle", args=[circle.pk])}"' in page
