"""Issue 3 end to end in Chromium: import, assign, move, audit; then the new member joins the circle."""

from __future__ import annotations

from pathlib import Path

import pytest

from circles.invitations import invite
from circles.models import Programme
from coaching.accounts.models import User
from tests.e2e.pages import sign_in
from tests.e2e.test_import_browser import HEADER, upload

pytestmark = [pytest.mark.browser]
SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_an_admin_places_an_imported_member_who_then_joins_the_circle(
    chromium, daphne_server, demo, tmp_path
):
    programme_id = demo["programme"]["id"]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "zara@example.org,Zara Ahmed,member,Mars/Base,en,,\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER + "zara@example.org,Zara Ahmed,member,Africa/Cairo,en;ar,career,Wed 18:00-20:00\n",
        encoding="utf-8",
    )
    SHOTS.mkdir(exist_ok=True)
    admin = chromium.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    page = admin.new_page()
    sign_in(page, daphne_server, "ana.admin", demo["password"])

    # The import: a bad file is refused with its line errors, then a good one goes in.
    page.goto(f"{daphne_server}/programmes/{programme_id}/import/")
    upload(page, bad)
    page.wait_for_selector(".import-invalid")
    row = page.locator(".import-errors tbody tr").first.inner_text()
    assert row.startswith("2")
    assert "“Mars/Base” is not a time zone we know" in row
    page.click("text=Upload a corrected file")
    upload(page, good)
    page.wait_for_selector(".import-ready")
    assert page.inner_text(".import-commit button") == "Import 1 person"
    page.click(".import-commit button")
    page.wait_for_selector(".import-done")

    # Assign Zara from the dashboard (htmx: the page updates in place).
    page.goto(f"{daphne_server}/programmes/{programme_id}/")
    person = page.locator(".person-row", has_text="Zara Ahmed")
    person.locator("select[name=circle]").select_option(label="Harambee (5/8)")
    person.locator("input[name=reason]").fill("speaks English, evening person")
    person.locator("button[type=submit]").click()
    page.wait_for_selector("text=Zara Ahmed now sits in Harambee.")
    assert "6 / 8" in page.locator("tr", has_text="Harambee").inner_text()
    assert page.locator(".person-row", has_text="Zara Ahmed").count() == 0

    # Move her to Horizonte from Harambee's roster.
    page.click("#circle-table >> text=Harambee")
    row = page.locator(".person-row", has_text="Zara Ahmed")
    row.locator("select[name=to_circle]").select_option(label="Horizonte")
    row.locator(".move-form input[name=reason]").fill("her hours fit Horizonte better")
    row.locator(".move-form button[type=submit]").click()
    page.wait_for_selector("text=Zara Ahmed moved to Horizonte.")

    # The audit log shows both, with who, what and why.
    page.goto(f"{daphne_server}/programmes/{programme_id}/audit/?person=zara")
    entries = page.locator(".audit-entry").all_inner_texts()
    assert len(entries) == 2
    assert "moved" in entries[0]
    assert "her hours fit Horizonte better" in entries[0]
    assert "Ana Ortega" in entries[0]
    assert "assigned" in entries[1]
    assert "speaks English, evening person" in entries[1]
    page.screenshot(path=str(SHOTS / "admin-audit.png"), full_page=True)
    admin.close()

    # Zara follows her invitation, chooses a password, keeps her imported profile, accepts the charter, meets
    # her circle, keeps the usual notifications and sees the circle.
    zara = User.objects.get(email="zara@example.org")
    token = invite(user=zara, programme=Programme.objects.get(pk=programme_id), base_url=daphne_server)
    member = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = member.new_page()
    page.goto(f"{daphne_server}/invite/{token}/")
    page.fill("input[name=new_password1]", "a-long-new-password-2026")
    page.fill("input[name=new_password2]", "a-long-new-password-2026")
    page.click("form button[type=submit]")
    page.wait_for_selector("#first-run-profile")
    page.click("#first-run-profile button[type=submit]")
    page.wait_for_selector("#accept-charter")
    assert "Confidentiality" in page.inner_text(".charter")
    page.click("#accept-charter")
    page.wait_for_selector("#first-run-people")
    page.click("#first-run-next")
    page.click("#first-run-skip")
    page.wait_for_selector("#circle-people")
    assert page.inner_text("h1") == "Horizonte"
    people = page.locator("#circle-people li")
    assert people.count() == 9  # the coach, seven members and Zara
    for place in ["Mexico City (Mexico)", "Cairo (Egypt)", "Los Angeles (United States)", "Madrid (Spain)"]:
        assert place in page.inner_text("#circle-people")
    assert all(":" in clock for clock in page.locator("#circle-people .clock").all_inner_texts())
    page.screenshot(path=str(SHOTS / "member-circle.png"), full_page=True)
    member.close()
