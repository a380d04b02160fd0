"""Language and time-zone names from CLDR (coaching/accounts/zones.py), in the reader's language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from circles import services
from circles.models import Programme
from coaching.accounts.models import User
from coaching.accounts.zones import language_choices, language_name, time_zone_choices, time_zone_label

pytestmark = pytest.mark.django_db


def test_it_names_languages_in_the_readers_language():
    with translation.override("es"):
        assert language_name("sw") == "Suajili"
        assert language_name("de") == "Alemán"
    with translation.override("en"):
        assert language_name("sw") == "Swahili"


def test_it_lists_the_persons_languages_first_then_the_rest_alphabetically_ignoring_accents():
    with translation.override("es"):
        choices = language_choices(first=["sw", "es"])
    assert choices[:2] == [("sw", "Suajili"), ("es", "Español")]
    names = [name for _code, name in choices[2:]]
    # "Árabe" sorts among the A's, not after "Z".
    assert names.index("Árabe") < names.index("Armenio") < names.index("Búlgaro")
    assert len(choices) == len({code for code, _name in choices})


def test_it_labels_time_zones_by_city_and_country():
    with translation.override("es"):
        assert time_zone_label("America/New_York") == "Nueva York (Estados Unidos)"
        assert time_zone_label("Europe/Madrid") == "Madrid (España)"
    with translation.override("en"):
        assert time_zone_label("Africa/Nairobi") == "Nairobi (Kenya)"


def test_it_groups_time_zones_by_country_with_the_iana_id_as_value():
    with translation.override("es"):
        groups = dict(time_zone_choices())
    assert ("Europe/Madrid", "Madrid (España)") in groups["España"]
    assert ("Atlantic/Canary", "Canarias (España)") in groups["España"]
    # No legacy aliases, and UTC is offered last.
    assert all(zone != "US/Eastern" for choices in groups.values() for zone, _label in choices)
    assert list(groups)[-1] == "Otros"
    assert groups["Otros"] == [("UTC", "Tiempo universal coordinado (UTC)")]


def test_it_keeps_a_persons_legacy_zone_in_the_choices():
    with translation.override("en"):
        groups = dict(time_zone_choices(current="US/Eastern"))
    assert ("US/Eastern", "New York (United States)") in groups["Other"]


@pytest.fixture
def spanish_reader(client):
    user = User.objects.create_user(
        username="lucia", password="pw", timezone="Europe/Madrid", languages=["sw", "es"], ui_language="es"
    )
    client.force_login(user)
    return user


def test_the_profile_offers_zones_by_city_and_languages_as_checkboxes_in_spanish(client, spanish_reader):
    page = client.get(reverse("profile")).content.decode()
    assert '<optgroup label="España">' in page
    assert '<option value="Europe/Madrid" selected>Madrid (España)</option>' in page
    assert 'type="checkbox" name="languages" value="sw" id="id_languages_0" checked> Suajili' in page
    assert 'type="checkbox" name="languages" value="es" id="id_languages_1" checked> Español' in page
    assert "IANA" not in page
    assert "Ctrl" not in page


def test_the_admins_speaks_filter_names_languages_in_the_readers_language(client):
    admin = User.objects.create_user(username="ana", password="pw", ui_language="es")
    programme = Programme.objects.create(name="Piloto", languages=["sw", "en"])
    programme.admins.add(admin)
    services.enrol(programme=programme, user=User.objects.create_user(username="m"), role="member")
    client.force_login(admin)
    page = client.get(reverse("programme_dashboard", args=[programme.pk])).content.decode()
    assert '<option value="en">Inglés</option>' in page
    assert '<option value="sw">Suajili</option>' in page
