"""A programme admin changes who sits in Harambee from its roster (remove a member, change the coach, close
the circle) in Chromium, and the people concerned notice at once: in the open chat, on their home page and
at the circle's address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import pages
from tests.e2e.pages import TIMEOUT

pytestmark = [pytest.mark.browser]
WIDE = {"width": 1100, "height": 900}
CONNECTED = "#chat-status[data-state=connected]"
SHUT = "#chat-status[data-state=closed]"


class Person(pages.Person):
    """A demo person in their own browser context, failing the test on any page or console error."""

    # The pages that answer "not found" on purpose (a circle one has left) log their status.
    expected_errors = ("status of 404",)

    def open_chat(self, circle_id: int) -> None:
        self.go(f"/circles/{circle_id}/")
        self.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)

    def sees_the_chat_shut(self) -> None:
        """The open conversation says why it stopped, and nothing more can be typed or sent."""
        self.page.wait_for_selector(SHUT, timeout=TIMEOUT)
        assert self.page.inner_text("#chat-status-text") == "You no longer have access to this circle."
        assert self.page.is_disabled("#chat-input")
        assert self.page.is_disabled("#chat-send")

    def is_refused(self, circle_id: int) -> None:
        """The circle's address answers the styled "not found" page, which names nothing of the circle."""
        response = self.page.goto(f"{self.base_url}/circles/{circle_id}/")
        assert response is not None
        assert response.status == 404
        assert self.page.inner_text("h1") == "We could not find that page"
        assert self.page.locator("#chat-input").count() == 0

    def home_circles(self, *, reload: bool = True) -> list[str]:
        """The circles on the person's home page (where signing in lands: no need to load it again)."""
        if reload:
            self.go("/")
        self.page.wait_for_selector("#circles-heading", timeout=TIMEOUT)
        return self.page.locator(".circle-card h3 a").all_inner_texts()


@pytest.fixture
def people(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Iterator[Any]:
    """A function signing in a demo person in a context of their own; every page error fails the test."""
    signed_in: list[Person] = []

    def sign_in(username: str) -> Person:
        person = Person(chromium, daphne_server, username, demo["password"], viewport=WIDE, timeout=TIMEOUT)
        signed_in.append(person)
        return person

    yield sign_in
    for person in signed_in:
        person.context.close()
    assert [error for person in signed_in for error in person.errors] == []


def _harambee(demo: dict[str, Any]) -> dict[str, Any]:
    circle = demo["circles"][1]
    assert circle["name"] == "Harambee"
    assert circle["coach"] == "amani.coach"
    assert "kofi" in circle["members"]
    return circle


def _roster(admin: Person, demo: dict[str, Any], circle_id: int) -> Any:
    admin.go(f"/programmes/{demo['programme']['id']}/circles/{circle_id}/")
    admin.page.wait_for_selector("#roster-body", timeout=TIMEOUT)
    return admin.page


def test_a_removed_member_loses_the_circle_at_once_and_leaves_its_people_list(people, demo):
    harambee = _harambee(demo)
    kofi, grace, admin = people("kofi"), people("grace"), people("ana.admin")
    kofi.open_chat(harambee["id"])
    page = _roster(admin, demo, harambee["id"])

    row = page.locator(".person-row[data-person=kofi]")
    row.locator(".remove-form input[name=reason]").fill("asked to leave the programme")
    questions: list[str] = []

    def confirm(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    row.locator(".remove-form button[type=submit]").click()
    page.wait_for_selector("#roster-body .message:has-text('Kofi Mensah left Harambee.')", timeout=TIMEOUT)
    assert questions == ["Remove Kofi Mensah from this circle? They lose access at once."]
    assert page.locator(".person-row[data-person=kofi]").count() == 0
    assert page.locator(".person-row").count() == len(harambee["members"]) - 1

    # Kofi's open conversation stops and says why; his home page and the circle's address no longer have it.
    kofi.sees_the_chat_shut()
    assert "Harambee" not in kofi.home_circles()
    kofi.is_refused(harambee["id"])

    # The rest of the circle no longer sees him among its people.
    grace.go(f"/circles/{harambee['id']}/")
    grace.page.wait_for_selector("#circle-people", timeout=TIMEOUT)
    listed = grace.page.locator("#circle-people li").evaluate_all(
        "items => items.map(li => li.dataset.person)"
    )
    assert "kofi" not in listed
    assert "grace" in listed
    assert len(listed) == len(harambee["members"])  # the coach and the four members left


def test_a_new_coach_gets_the_circle_and_the_old_coach_loses_it(people, demo):
    harambee = _harambee(demo)
    amani, diego, admin = people("amani.coach"), people("diego.coach"), people("ana.admin")
    assert diego.home_circles(reload=False) == ["Horizonte"]
    amani.open_chat(harambee["id"])
    page = _roster(admin, demo, harambee["id"])

    page.select_option("#roster-body select[name=coach]", label="Diego Ramírez")
    page.fill("#roster-body input[name=reason]:near(select[name=coach])", "Amani is on leave")
    page.click("#roster-body button:has-text('Change coach')")
    page.wait_for_selector(
        "#roster-body .message:has-text('Diego Ramírez now coaches Harambee.')", timeout=TIMEOUT
    )
    assert page.inner_text("#roster-coach").startswith("Diego Ramírez")

    # Amani's open conversation stops; Harambee leaves her home page and its address refuses her.
    amani.sees_the_chat_shut()
    assert "Harambee" not in amani.home_circles()
    amani.is_refused(harambee["id"])

    # Diego finds Harambee on his home page, as its coach, and its conversation opens for him.
    assert "Harambee" in diego.home_circles()
    card = diego.page.locator(".circle-card", has_text="Harambee")
    assert "you are its coach" in card.inner_text()
    card.locator("h3 a").click()
    diego.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    coach_row = diego.page.locator("#circle-people li[data-person='diego.coach']")
    assert "coach" in coach_row.locator(".badge").inner_text()
    assert diego.page.locator("#circle-people li[data-person='amani.coach']").count() == 0


def test_a_closed_circle_shows_closed_to_the_admin_and_shuts_for_everyone_in_it(people, demo):
    harambee = _harambee(demo)
    kofi, admin = people("kofi"), people("ana.admin")
    kofi.open_chat(harambee["id"])
    page = _roster(admin, demo, harambee["id"])

    # The action sits in a folded "danger zone": open it, give the reason, close.
    assert not page.is_visible("#close-reason")
    page.click("summary:has-text('Close this circle')")
    page.fill("#close-reason", "the programme's first cohort ended")
    # It cannot be undone, so it asks first; dismissed, nothing happens.
    questions: list[str] = []

    def answer(accept: bool) -> Any:
        def handle(dialog: Any) -> None:
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.click("button:has-text('Close the circle')")
    assert questions == [
        "Close Harambee? Everyone in it loses the circle and its chat at once, and it cannot be opened again."
    ]
    assert "Status\nclosed" not in page.inner_text("#roster-body .facts")
    page.once("dialog", answer(True))
    page.click("button:has-text('Close the circle')")
    page.wait_for_selector("#roster-body .message:has-text('Harambee is closed.')", timeout=TIMEOUT)
    facts = page.inner_text("#roster-body .facts")
    assert "Status\nclosed" in facts
    assert "Seats\n0 / " in facts
    assert "Coach\n—" in facts  # not "none yet": nobody will coach it
    # Nothing is left to do to a closed circle: no members to move, no coach to change, nothing to close.
    assert page.locator(".person-row").count() == 0
    assert page.locator("button:has-text('Change coach')").count() == 0
    assert page.locator("summary:has-text('Close this circle')").count() == 0
    audit = page.locator(".audit-entry[data-action=close_circle]")
    assert "the programme's first cohort ended" in audit.inner_text()

    # The programme's dashboard lists only the circles still open.
    admin.go(f"/programmes/{demo['programme']['id']}/")
    page.wait_for_selector("#circle-table", timeout=TIMEOUT)
    assert page.locator("#circle-table th[scope=row]").all_inner_texts() == ["Horizonte", "Puentes"]

    # A member's open conversation stops and sending is disabled (every seat ended, the coach's too); the
    # circle is gone from the member's home page and its address refuses them.
    kofi.sees_the_chat_shut()
    assert kofi.home_circles() == []
    assert "Harambee closed on " in kofi.page.inner_text("#circle-closed")
    kofi.is_refused(harambee["id"])
