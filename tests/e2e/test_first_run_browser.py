"""An invitee's first run in a real browser: choose a password, fill in the profile (languages from a
filtered checkbox list with the keyboard, a time zone by city, a photo), accept the charter, meet the circle
on its cards, choose notifications, land in the circle; then open a circle-mate's card from the people
list."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from circles import invitations, services
from circles.models import Circle
from coaching.accounts.models import User
from tests.e2e.pages import SHOTS

pytestmark = [pytest.mark.browser]
TIMEOUT = 10_000
PASSWORD = "a-Long-password-42"


def photo(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "teal").save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_an_invitee_is_guided_from_the_invitation_to_their_circle(
    chromium: Any, daphne_server: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    harambee = Circle.objects.get(pk=demo["circles"][1]["id"])
    admin = User.objects.get(username="ana.admin")
    nadia = User.objects.create_user(username="nadia", email="nadia@example.org")
    services.enrol(programme=harambee.programme, user=nadia, role="member")
    services.assign_member(actor=admin, circle=harambee, member=nadia)
    token = invitations.invite(user=nadia, programme=harambee.programme, base_url=daphne_server)

    context = chromium.new_context(
        locale="en-GB", timezone_id="Africa/Nairobi", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{daphne_server}/invite/{token}/")
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.click("button[type=submit]")

    # Step 1: the profile. The language list narrows as she types; she ticks Swahili with the keyboard.
    page.wait_for_selector("#first-run-profile", timeout=TIMEOUT)
    assert page.inner_text(".first-run-steps [aria-current=step]") == "1. Your profile"
    page.fill("#id_display_name", "Nadia Haddad")
    page.fill("#id_languages_filter", "swa")
    swahili = page.get_by_label("Swahili", exact=True)
    page.wait_for_function("() => document.querySelectorAll('#id_languages li:not([hidden])').length === 1")
    assert not page.get_by_label("English", exact=True).is_visible()
    page.keyboard.press("Tab")  # from the filter box to the first (only) visible checkbox
    page.keyboard.press("Space")
    assert swahili.is_checked()
    page.fill("#id_languages_filter", "")
    page.get_by_label("English", exact=True).check()
    page.select_option("#id_timezone", label="Lima (Peru)")
    page.click("#use-device-zone")  # the device says Africa/Nairobi: the list shows it by its city
    assert (
        page.eval_on_selector("#id_timezone", "select => select.selectedOptions[0].text") == "Nairobi (Kenya)"
    )
    page.set_input_files("#id_photo", str(photo(tmp_path)))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "first-run-profile.png"), full_page=True)
    page.click("#first-run-profile button[type=submit]")

    # Step 2: the charter; step 3: the people, each on a card with their time and place.
    page.wait_for_selector("#accept-charter", timeout=TIMEOUT)
    page.click("#accept-charter")
    page.wait_for_selector("#first-run-people", timeout=TIMEOUT)
    coach = page.locator("[data-person-card='amani.coach']")
    assert "Nairobi (Kenya)" in coach.inner_text()
    assert page.locator("[data-person-card='kofi']").is_visible()
    page.screenshot(path=str(SHOTS / "first-run-people.png"), full_page=True)
    page.click("#first-run-next")

    # Step 4: notifications, then the circle.
    page.wait_for_selector("#notification-preferences", timeout=TIMEOUT)
    page.click("#notification-preferences button[type=submit]")
    page.wait_for_url(f"{daphne_server}/circles/{harambee.pk}/", timeout=TIMEOUT)
    nadia.refresh_from_db()
    assert (nadia.name, nadia.timezone, set(nadia.languages)) == (
        "Nadia Haddad",
        "Africa/Nairobi",
        {"sw", "en"},
    )

    # Her circle-mates' cards are one click away; her own shows her photo, cut square.
    page.click("#circle-people [data-person='kofi'] a")
    page.wait_for_selector("[data-person-card='kofi']", timeout=TIMEOUT)
    page.goto(f"{daphne_server}/people/{nadia.pk}/")
    page.wait_for_function(
        "() => { const img = document.querySelector('.person-card img.avatar');"
        " return img && img.complete && img.naturalWidth === 256 && img.naturalHeight === 256; }"
    )
    assert page.inner_text(".person-languages") == "English, Swahili"
    page.screenshot(path=str(SHOTS / "person-card.png"), full_page=True)
    assert errors == []
    context.close()
