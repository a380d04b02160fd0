"""Kofi's week on his progress page in Chromium: he sets a goal, checks in on it, and thanks Grace, who
finds his thanks on her home page and her own progress page. (A refused goal: test_progress_browser.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.e2e.pages import TIMEOUT, Person

pytestmark = [pytest.mark.browser]


def test_a_member_sets_a_goal_checks_in_and_thanks_a_circle_mate_who_sees_it(
    chromium: Any, daphne_server: str, demo: dict[str, Any]
) -> None:
    kofi = Person(chromium, daphne_server, "kofi", demo["password"], timeout=TIMEOUT)
    kofi.go("/progress/")
    assert "No goals yet." in kofi.page.inner_text("#goals")
    new_goal = kofi.page.locator("details.new-goal")
    assert new_goal.get_attribute("open") is not None  # no goals yet: the form is open
    target = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    new_goal.locator("input[name=title]").fill("Pitch to three investors")
    new_goal.locator("textarea[name=why]").fill("To fund the second shop")
    new_goal.locator("input[name=measure]").fill("Pitches given")
    new_goal.locator("input[name=target_date]").fill(target)
    new_goal.locator("button[type=submit]").click()
    kofi.page.locator(".messages", has_text="Your goal “Pitch to three investors” is set.").wait_for()
    goal = kofi.page.locator("#goals .goal", has_text="Pitch to three investors")
    assert "Pitches given" in goal.locator(".facts").inner_text()
    assert goal.locator(".this-week").inner_text() == "no check-in yet"

    # This week's check-in: the score and note show on the goal, and his streak starts.
    goal.locator("input[name=score]").fill("6")
    goal.locator("input[name=note]").fill("Two pitches booked")
    goal.locator("button[type=submit]", has_text="Check in").click()
    kofi.page.locator(".messages", has_text="Checked in on “Pitch to three investors”.").wait_for()
    goal = kofi.page.locator("#goals .goal", has_text="Pitch to three investors")
    assert goal.locator(".this-week").inner_text() == "6/10 · Two pitches booked"
    assert goal.locator("button[type=submit]", has_text="Update").count() == 1  # this week's, to change
    assert kofi.page.inner_text("#streak-current") == "1"

    # Kudos to Grace, chosen among his circle.
    kofi.page.click("details.new-kudos > summary")
    kudos = kofi.page.locator("details.new-kudos form")
    kudos.locator("select[name=receiver]").select_option(label="Grace Achieng")
    kudos.locator("input[name=contribution]").fill("shared her supplier list with me")
    kudos.locator("button[type=submit]").click()
    kofi.page.locator(".messages", has_text="Your thanks went to Grace Achieng.").wait_for()
    assert "Given: 1 thank-you." in kofi.page.inner_text("#kudos")

    grace = Person(chromium, daphne_server, "grace", demo["password"], timeout=TIMEOUT)
    told = grace.page.locator("#home-notifications .home-notification", has_text="Kofi Mensah")
    assert told.count() == 1
    told.locator("button").click()
    grace.page.wait_for_url(f"{daphne_server}/progress/**")
    assert grace.page.inner_text("#kudos-count") == "1"
    received = grace.page.locator("#kudos .kudos-list li")
    assert received.count() == 1
    assert received.inner_text().startswith("Kofi Mensah: “shared her supplier list with me”")
    # Kofi's goal and check-in are his own: not on Grace's page.
    assert "Pitch to three investors" not in grace.page.inner_text("#member-progress")
    assert kofi.errors + grace.errors == []
