"""Programme announcements: only the programme's admins post; everyone in its circles is told and may read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from circles import announcements
from circles.errors import CircleRuleError
from circles.models import Announcement, Membership, Programme
from coaching.accounts.models import User
from coaching.notifications.emails import send_due_emails
from coaching.notifications.models import Notification
from tests.notifications.smtp import text_of

pytestmark = pytest.mark.django_db


def user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.fixture
def programme(demo) -> Programme:
    Notification.objects.all().delete()  # seating the demo told everyone already
    return Programme.objects.get(pk=demo["programme"]["id"])


@pytest.fixture
def other(programme) -> Programme:
    other = Programme.objects.create(name="Otro")
    outsider_admin = User.objects.create_user(username="otra.admin", password="pw")
    other.admins.add(outsider_admin)
    return other


def test_it_tells_every_current_member_and_coach_once_and_they_can_read_it(client, programme):
    admin = user("ana.admin")
    client.force_login(admin)
    response = client.post(
        reverse("programme_announcements", args=[programme.pk]),
        {"title": "Kick-off on Monday", "body": "Bring **one** question.\n\n<script>x</script>"},
    )
    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert "<strong>one</strong>" in announcement.body_html
    assert "<script>" not in announcement.body_html
    seated = set(
        Membership.objects.current().filter(circle__programme=programme).values_list("user_id", flat=True)
    )
    told = Notification.objects.filter(kind="announcement")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(seated - {admin.pk})
    camilas = told.get(recipient=user("camila"))
    assert camilas.params == {
        "programme": programme.name,
        "title": "Kick-off on Monday",
        "announcement": announcement.pk,
        "body_text": "Bring **one** question.\n\n<script>x</script>",
        "body_html": announcement.body_html,
    }
    assert camilas.url == f"/announcements/{announcement.pk}/"
    assert camilas.dedupe_key == f"announcement:{announcement.pk}"
    assert camilas.email_due_at is not None
    client.force_login(user("camila"))
    page = client.get(camilas.url).content.decode()
    assert "Kick-off on Monday" in page
    assert "<strong>one</strong>" in page
    client.force_login(admin)
    assert (
        "Kick-off on Monday"
        in client.get(reverse("programme_announcements", args=[programme.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("", "text"),
        ("title", "   "),
        ("two\nlines", "text"),
        ("nul\x00", "text"),
        ("title", "nul \x00 byte"),
        ("t" * 201, "text"),
        ("title", "b" * 10_001),
    ],
)
def test_it_refuses_bad_input_with_a_message_and_stores_nothing(client, programme, title, body):
    client.force_login(user("ana.admin"))
    response = client.post(
        reverse("programme_announcements", args=[programme.pk]), {"title": title, "body": body}
    )
    assert response.status_code == 400
    assert 'class="error" role="alert"' in response.content.decode()
    assert not Announcement.objects.exists()
    assert not Notification.objects.exists()


def test_the_service_refuses_a_title_on_two_lines(programme):
    with pytest.raises(CircleRuleError):
        announcements.announce(actor=user("ana.admin"), programme=programme, title="a\nb", body="text")


def test_only_the_programmes_admins_may_post_or_see_the_list(client, programme, other):
    for username in ["camila", "lucia.coach", "otra.admin"]:
        client.force_login(user(username))
        url = reverse("programme_announcements", args=[programme.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"title": "Hi", "body": "all"}).status_code == 404
    with pytest.raises(Http404):
        announcements.announce(actor=user("camila"), programme=programme, title="Hi", body="all")
    assert not Announcement.objects.exists()
    client.logout()
    assert client.get(reverse("programme_announcements", args=[programme.pk])).status_code == 302


def test_an_outsider_cannot_read_an_announcement(client, programme, other):
    announcement = announcements.announce(
        actor=user("ana.admin"), programme=programme, title="Hi", body="all"
    )
    url = reverse("announcement", args=[announcement.pk])
    for username in ["otra.admin"]:
        client.force_login(user(username))
        assert client.get(url).status_code == 404
    stranger = User.objects.create_user(username="stranger", password="pw")
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(reverse("announcement", args=[announcement.pk + 999])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_a_member_who_left_no_longer_reads_it(client, programme):
    announcement = announcements.announce(
        actor=user("ana.admin"), programme=programme, title="Hi", body="all"
    )
    camila = user("camila")
    client.force_login(camila)
    assert client.get(reverse("announcement", args=[announcement.pk])).status_code == 200
    Membership.objects.filter(user=camila).update(left_at="2026-01-01T00:00Z")
    assert client.get(reverse("announcement", args=[announcement.pk])).status_code == 404


def test_the_email_carries_the_announcement_itself(programme, smtp_server):
    announcements.announce(
        actor=user("ana.admin"),
        programme=programme,
        title="Kick-off on Monday",
        body="Bring **one** question.\n\n<script>alert(1)</script>",
    )
    # A day later every quiet hour has passed, wherever each person lives.
    assert send_due_emails(now=timezone.now() + dt.timedelta(days=1)) >= 1
    (email,) = smtp_server.to("camila")
    assert "Bring **one** question." in text_of(email)
    html = text_of(email, "html")
    assert "<strong>one</strong>" in html
    assert "<script>" not in html
