"""Wherever a person reads a time zone it is a place in their language ("Bogotá (Colombia)"), never an IANA
id such as America/Bogota: people lists, admin pages, the footer, scheduling, quiet hours."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from circles import services
from coaching.accounts.models import User
from coaching.accounts.zones import time_zone_label

pytestmark = pytest.mark.django_db

IANA_IDS = ("America/Bogota", "Africa/Lagos", "Europe/Madrid", "America/New_York", "Asia/Tokyo")


def page(client, reader: User, url: str, *, language: str) -> str:
    reader.ui_language = language
    reader.save()
    client.force_login(reader)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def assert_no_iana_ids(html: str) -> None:
    """No zone id anywhere a person reads (scripts' configuration may carry them for the browser's clock)."""
    readable = re.sub(r"<script\b.*?</script>", "", html, flags=re.DOTALL)
    assert not [zone for zone in IANA_IDS if zone in readable]


@pytest.fixture
def alpha(world):
    """Bogota and Lagos sit in Alpha (charter read), its coach is in Madrid; New York waits to be placed."""
    for member in world.members[:2]:
        services.assign_member(actor=world.admin, circle=world.circle, member=member)
        services.accept_charter(user=member, circle=world.circle)
    return world.circle


@pytest.mark.parametrize(
    ("language", "places", "footer"),
    [
        ("en", ["Bogotá (Colombia)", "Madrid (Spain)"], "Times are shown in your time zone, Lagos (Nigeria)"),
        (
            "es",
            ["Bogotá (Colombia)", "Madrid (España)"],
            "Las horas se muestran en tu zona horaria, Lagos (Nigeria)",
        ),
    ],
)
def test_circle_mates_and_the_footer_name_places(client, world, alpha, language, places, footer):
    html = page(client, world.members[1], reverse("circle", args=[alpha.pk]), language=language)
    for place in places:
        assert f'<span class="muted"> · {place}</span>' in html  # each person's clock says where they are
    assert footer in html
    assert_no_iana_ids(html)


def test_the_home_page_names_where_the_coach_and_circle_mates_are(client, world, alpha):
    html = page(client, world.members[0], reverse("home"), language="es")
    assert "Madrid (España)" in html
    assert "Lagos (Nigeria)" in html
    assert_no_iana_ids(html)


@pytest.mark.parametrize(
    ("language", "place"), [("en", "New York (United States)"), ("es", "Nueva York (Estados Unidos)")]
)
def test_admin_rosters_and_the_people_to_place_name_places(client, world, alpha, language, place):
    dashboard = page(
        client, world.admin, reverse("programme_dashboard", args=[world.programme.pk]), language=language
    )
    assert f'<span class="muted">{place} ·' in dashboard  # New York waits to be placed
    assert_no_iana_ids(dashboard)
    roster = page(
        client,
        world.admin,
        reverse("programme_roster", args=[world.programme.pk, alpha.pk]),
        language=language,
    )
    assert "Bogotá (Colombia)" in roster
    assert_no_iana_ids(roster)


def test_the_coaches_table_before_matching_names_places(client, world):
    html = page(client, world.admin, reverse("programme_matching", args=[world.programme.pk]), language="es")
    assert "<td>Nairobi (Kenia)</td>" in html
    assert "<td>Madrid (España)</td>" in html
    assert "Africa/Nairobi" not in html
    assert "<td>Español, Inglés</td>" in html  # languages by name, not "es, en"


def test_scheduling_and_quiet_hours_name_the_readers_own_place(client, world, alpha):
    schedule = page(client, world.coach, reverse("session_schedule", args=[alpha.pk]), language="es")
    assert "La fecha y la hora están en tu zona horaria, Madrid (España)." in schedule
    assert_no_iana_ids(schedule)
    profile = page(client, world.members[3], reverse("profile"), language="en")
    assert "on your own clock (New York (United States))" in profile


def test_the_filter_takes_ids_and_zones_and_leaves_an_unknown_id_as_it_is():
    template = Template("{% load zone_names %}{{ a|zone_name }} / {{ b|zone_name }} / {{ c|zone_name }}")
    with translation.override("es"):
        text = template.render(
            Context({"a": "Asia/Tokyo", "b": ZoneInfo("Europe/Madrid"), "c": "Mars/Olympus"})
        )
    assert text == "Tokio (Japón) / Madrid (España) / Mars/Olympus"
    with translation.override("en"):
        assert time_zone_label(ZoneInfo("UTC")) == "Coordinated Universal Time (UTC)"


@pytest.mark.parametrize(("language", "name"), [("en", "English"), ("es", "Inglés")])
def test_a_circles_language_is_named_not_coded_on_the_dashboard_and_roster(
    client, world, alpha, language, name
):
    alpha.language = "en"
    alpha.save(update_fields=["language"])
    dashboard = page(
        client, world.admin, reverse("programme_dashboard", args=[world.programme.pk]), language=language
    )
    assert f"<td>{name}</td>" in dashboard
    roster = page(
        client,
        world.admin,
        reverse("programme_roster", args=[world.programme.pk, alpha.pk]),
        language=language,
    )
    assert f"<dd>{name}</dd>" in roster
