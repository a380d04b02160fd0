"""A member's view of their circle: the charter first, then the people with their local times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from circles import services
from circles.models import Membership
from coaching.accounts.zones import local_clock

pytestmark = pytest.mark.django_db


def test_a_member_accepts_the_charter_before_seeing_the_circle(client, world):
    m0 = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m0)
    client.force_login(m0)
    page = client.get(reverse("circle", args=[world.circle.pk])).content.decode()
    assert "I accept the charter" in page
    assert "Confidentiality" in page
    assert 'id="conversation"' not in page
    response = client.post(reverse("circle_accept_charter", args=[world.circle.pk]))
    assert response.status_code == 302
    assert Membership.objects.get(user=m0, circle=world.circle).charter_accepted_at is not None
    page = client.get(reverse("circle", args=[world.circle.pk])).content.decode()
    assert 'id="conversation"' in page
    assert "I accept the charter" not in page


def test_the_circle_shows_each_persons_local_time_and_whether_it_is_day(client, world):
    for m in world.members[:3]:
        services.assign_member(actor=world.admin, circle=world.circle, member=m)
        services.accept_charter(user=m, circle=world.circle)
    client.force_login(world.members[0])
    page = client.get(reverse("circle", args=[world.circle.pk])).content.decode()
    for place in ["Bogotá (Colombia)", "Lagos (Nigeria)", "Madrid (Spain)"]:
        assert place in page
    assert "☀️" in page or "🌙" in page


def test_local_clock_knows_day_and_night_across_zones():
    noon_utc = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
    assert local_clock("Europe/Madrid", at=noon_utc).time == "13:00"
    assert local_clock("Europe/Madrid", at=noon_utc).is_day
    assert local_clock("Asia/Tokyo", at=noon_utc).time == "21:00"
    assert not local_clock("Asia/Tokyo", at=noon_utc).is_day
    assert local_clock("America/Bogota", at=noon_utc).time == "07:00"
    assert local_clock("America/Bogota", at=noon_utc).is_day


def test_the_coach_edits_the_charter_and_members_read_it(client, world):
    client.force_login(world.coach)
    client.post(
        reverse("circle_edit_charter", args=[world.circle.pk]), {"charter": "Listen first.\nNo selling."}
    )
    m0 = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m0)
    client.force_login(m0)
    assert "Listen first." in client.get(reverse("circle", args=[world.circle.pk])).content.decode()


def test_a_charter_with_html_is_shown_as_text(client, world):
    services.update_charter(actor=world.coach, circle=world.circle, text="<script>alert(1)</script> be kind")
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    client.force_login(world.members[0])
    page = client.get(reverse("circle", args=[world.circle.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_the_home_page_lists_circles_with_local_times(client, world):
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    client.force_login(world.members[0])
    page = client.get(reverse("home")).content.decode()
    assert "Alpha" in page
    assert "Bogotá (Colombia)" in page
    assert "Read and accept the circle" in page
