"""The circle library in real browsers against a real daphne: a message pinned from the chat shows in every
open chat and in the library, and two people editing the circle notes from the same revision keep both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e import pages

pytestmark = [pytest.mark.browser]
CONNECTED = "#chat-status[data-state=connected]"
TIMEOUT = 10_000


class Person(pages.Person):
    """One demo person of Harambee."""

    # The page that shows a notes conflict answers 409 on purpose; Chromium logs any 4xx page load.
    expected_errors = ("status of 409 (Conflict)",)

    def open_chat(self, circle_id: int) -> None:
        self.go(f"/circles/{circle_id}/")
        self.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)

    def message(self, text: str) -> Any:
        return self.page.locator("#chat-log .chat-msg:not(.chat-pending)", has_text=text).first


@pytest.fixture
def harambee(demo: dict[str, Any]) -> dict[str, Any]:
    circle = demo["circles"][1]
    assert circle["name"] == "Harambee"
    assert {"kofi", "grace"} <= set(circle["members"])
    return circle


@pytest.fixture
def people(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Iterator[Callable[[str], Person]]:
    """Signs demo people in, each in their own browser context; no script error on any page, at the end."""
    opened: list[Person] = []

    def sign_in(username: str) -> Person:
        person = Person(
            chromium, daphne_server, username, demo["password"], viewport={"width": 1100, "height": 800}
        )
        opened.append(person)
        return person

    yield sign_in
    for person in opened:
        person.context.close()
    assert [error for person in opened for error in person.errors] == []


def test_a_message_pinned_in_the_chat_shows_in_every_open_chat_and_in_the_library(people, harambee):
    kofi, grace = people("kofi"), people("grace")
    kofi.open_chat(harambee["id"])
    grace.open_chat(harambee["id"])
    kofi.page.fill("#chat-input", "Budget template: https://budget.example.org/template")
    kofi.page.press("#chat-input", "Enter")
    shared = grace.message("Budget template")
    shared.locator(".chat-body").wait_for(timeout=TIMEOUT)

    shared.hover()
    shared.get_by_role("button", name="Pin", exact=True).click()
    # Kofi's open chat hears the pin: the message says who pinned it.
    kofi.message("Budget template").locator(".chat-pinned", has_text="pinned by Grace Achieng").wait_for(
        timeout=TIMEOUT
    )
    grace.page.locator("#chat-notice", has_text="Pinned").wait_for(timeout=TIMEOUT)
    # Grace pinned it: she may unpin; Kofi, a member who did not, is not offered to.
    assert shared.get_by_role("button", name="Unpin").count() == 1
    assert kofi.message("Budget template").get_by_role("button", name="Unpin").count() == 0

    kofi.page.click("#circle-library-link")
    pin = kofi.page.locator("#pins .library-pin", has_text="Budget template")
    pin.wait_for(timeout=TIMEOUT)
    assert "Pinned by Grace Achieng" in pin.inner_text()
    link = kofi.page.locator("#links .library-link a", has_text="https://budget.example.org/template")
    assert link.count() == 1
    assert "shared by Kofi Mensah" in kofi.page.locator("#links .library-link").first.inner_text()
    kofi.shot("library-pinned.png")


def test_two_people_editing_the_notes_from_the_same_revision_keep_both(people, harambee):
    kofi, grace = people("kofi"), people("grace")
    edit = f"/circles/{harambee['id']}/library/notes/"
    kofi.go(edit)
    grace.go(edit)
    for person in (kofi, grace):
        person.page.wait_for_selector("#notes-form textarea", timeout=TIMEOUT)

    grace.page.fill("#notes-form textarea", "Shared goals\n- Grace: launch the shop")
    grace.page.click("#notes-form button[type=submit]")
    grace.page.locator("#circle-notes", has_text="Grace: launch the shop").wait_for(timeout=TIMEOUT)

    # Kofi started from the same (empty) revision: he is told, and sees Grace's text beside his.
    kofi.page.fill("#notes-form textarea", "Shared goals\n- Kofi: find a mentor")
    kofi.page.click("#notes-form button[type=submit]")
    conflict = kofi.page.locator("#notes-conflict")
    conflict.wait_for(timeout=TIMEOUT)
    assert "Grace Achieng saved revision 1" in conflict.inner_text()
    assert "Grace: launch the shop" in kofi.page.locator("#their-text").inner_text()
    assert kofi.page.locator("#notes-form textarea").input_value() == "Shared goals\n- Kofi: find a mentor"
    kofi.shot("library-notes-conflict.png", full_page=True)

    # He merges both and saves again, this time without a conflict.
    kofi.page.fill("#notes-form textarea", "Shared goals\n- Grace: launch the shop\n- Kofi: find a mentor")
    kofi.page.click("#notes-form button[type=submit]")
    notes = kofi.page.locator("#circle-notes")
    notes.wait_for(timeout=TIMEOUT)
    assert "Grace: launch the shop" in notes.inner_text()
    assert "Kofi: find a mentor" in notes.inner_text()

    grace.go(f"/circles/{harambee['id']}/library/notes/history/")
    rows = grace.page.locator(".library-revision")
    rows.first.wait_for(timeout=TIMEOUT)
    assert [rows.nth(i).get_attribute("data-author") for i in range(rows.count())] == [
        "kofi",
        "kofi",
        "grace",
    ]
    assert rows.nth(1).locator(".library-conflicted").count() == 1
    rows.nth(1).get_by_role("link").click()
    grace.page.locator("#revision-text").wait_for(state="attached", timeout=TIMEOUT)
    assert grace.page.locator("#revision-text").text_content() == "Shared goals\n- Kofi: find a mentor"
