"""Moderation and search from the conversation, in real browsers against a real daphne: a member reports a
message and the admin sees exactly it, the coach hides a message and mutes a member, and the search box."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e import pages

pytestmark = [pytest.mark.browser]
CONNECTED = "#chat-status[data-state=connected]"
TIMEOUT = 10_000
DESKTOP = {"width": 1100, "height": 800}
PHONE = {"width": 360, "height": 740}


class Person(pages.Person):
    """One demo person, with the circle's chat open."""

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)

    def say(self, text: str) -> None:
        self.page.fill("#chat-input", text)
        self.page.press("#chat-input", "Enter")

    def sees(self, text: str) -> None:
        self.page.locator("#chat-log .chat-msg:not(.chat-pending) .chat-body", has_text=text).first.wait_for(
            timeout=TIMEOUT
        )

    def message(self, text: str) -> Any:
        return self.page.locator("#chat-log .chat-msg", has_text=text).first

    def fits_the_screen(self) -> bool:
        return bool(self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.fixture
def harambee(demo: dict[str, Any]) -> dict[str, Any]:
    circle = demo["circles"][1]
    assert circle["name"] == "Harambee"
    assert circle["coach"] == "amani.coach"
    assert {"kofi", "grace"} <= set(circle["members"])
    return circle


@pytest.fixture
def people(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Iterator[Callable[..., Person]]:
    """Signs demo people in, each in their own browser context; no script error on any page, at the end."""
    opened: list[Person] = []

    def sign_in(username: str, viewport: dict[str, int] = DESKTOP) -> Person:
        person = Person(chromium, daphne_server, username, demo["password"], viewport=viewport)
        opened.append(person)
        return person

    yield sign_in
    for person in opened:
        person.context.close()
    assert [error for person in opened for error in person.errors] == []


def test_a_member_reports_a_message_and_the_admin_sees_exactly_that_text(
    people, daphne_server, demo, harambee
):
    url = f"{daphne_server}/circles/{harambee['id']}/"
    kofi, grace = people("kofi"), people("grace")
    kofi.open(url)
    grace.open(url)
    kofi.say("Nobody here takes the programme seriously except me.")
    kofi.say("Anyway, see you all on Thursday.")
    grace.sees("see you all on Thursday")

    # Her own messages have nothing to report.
    grace.say("My own words")
    grace.sees("My own words")
    mine = grace.message("My own words")
    mine.hover()
    assert mine.get_by_role("button", name="Report").count() == 0

    unkind = grace.message("takes the programme seriously")
    unkind.hover()
    unkind.get_by_role("button", name="Report").click()
    dialog = grace.page.get_by_role("dialog", name="Report this message")
    dialog.wait_for(timeout=TIMEOUT)
    assert "never the rest of the conversation" in dialog.inner_text()
    assert "Kofi Mensah" in dialog.locator(".chat-dialog-quote").inner_text()
    # The reason box has the focus and its label.
    assert grace.page.evaluate("document.activeElement.name") == "reason"
    dialog.get_by_label("Why are you reporting it? (optional)").fill("It belittles the rest of the circle.")
    grace.shot("moderation-report-dialog.png")
    dialog.get_by_role("button", name="Send the report").click()
    notice = grace.page.locator("#chat-notice")
    notice.filter(has_text="Thank you, the programme's admins will look at it.").wait_for(timeout=TIMEOUT)
    assert dialog.count() == 0
    assert grace.page.evaluate("document.activeElement.textContent") == "Report"  # focus went back
    grace.shot("moderation-report-thanks.png")

    # Again, by keyboard alone: the log's active message, Tab to its Report, Enter; Escape cancels.
    grace.page.focus("#chat-input")
    grace.page.keyboard.press("Shift+Tab")
    grace.page.keyboard.press("End")
    grace.page.keyboard.press("ArrowUp")
    grace.page.keyboard.press("ArrowUp")
    assert "takes the programme seriously" in grace.page.evaluate("document.activeElement.innerText")
    for _ in range(3):
        grace.page.keyboard.press("Tab")
    assert grace.page.evaluate("document.activeElement.textContent") == "Report"
    grace.page.keyboard.press("Enter")
    dialog.wait_for(timeout=TIMEOUT)
    grace.page.keyboard.press("Escape")
    assert dialog.count() == 0
    assert grace.page.evaluate("document.activeElement.textContent") == "Report"
    # A second report with no reason is fine: still one report (the first one, with its reason).
    grace.page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Send the report").click()
    grace.page.wait_for_selector("dialog.chat-dialog", state="detached", timeout=TIMEOUT)
    assert "admins will look at it" in notice.inner_text()

    admin = people("ana.admin")
    admin.page.goto(f"{daphne_server}/programmes/{demo['programme']['id']}/reports/")
    reports = admin.page.locator("li.report")
    assert reports.count() == 1
    assert (
        reports.locator(".reported-text").inner_text()
        == "Nobody here takes the programme seriously except me."
    )
    assert "Reported by Grace Achieng" in reports.inner_text()
    assert "Written by Kofi Mensah" in reports.inner_text()
    assert reports.locator(".report-reason").inner_text() == "Reason: It belittles the rest of the circle."
    page_text = admin.page.inner_text("main")
    assert "see you all on Thursday" not in page_text  # never a message nobody reported
    assert "My own words" not in page_text
    admin.shot("moderation-admin-reports.png")


def test_the_coach_hides_a_message_and_the_members_see_only_that_it_was_hidden(
    people, daphne_server, harambee
):
    url = f"{daphne_server}/circles/{harambee['id']}/"
    kofi, grace, coach = people("kofi"), people("grace"), people("amani.coach")
    for person in (kofi, grace, coach):
        person.open(url)
    kofi.say("Here is my ex's phone number: 0700 123 456")
    kofi.say("Sorry, wrong chat!")
    for person in (grace, coach):
        person.sees("Sorry, wrong chat")

    # Members have no Hide.
    seen = grace.message("phone number")
    seen.hover()
    assert seen.get_by_role("button", name="Hide").count() == 0

    target = coach.message("phone number")
    target.hover()
    target.get_by_role("button", name="Hide").click()
    dialog = coach.page.get_by_role("dialog", name="Hide this message?")
    dialog.wait_for(timeout=TIMEOUT)
    assert "0700 123 456" in dialog.inner_text()  # the coach sees which message they are about to hide
    assert coach.page.evaluate("document.activeElement.textContent") == "Cancel"  # the safe choice
    coach.shot("moderation-hide-dialog.png")
    dialog.get_by_role("button", name="Hide it").click()

    for person in (grace, kofi, coach):
        person.page.wait_for_selector(
            "#chat-log .chat-hidden .chat-tombstone:has-text('hidden by the coach')", timeout=TIMEOUT
        )
        assert "0700 123 456" not in person.page.inner_text("#chat-log")
        assert "Sorry, wrong chat!" in person.page.inner_text("#chat-log")
    hidden = grace.message("hidden by the coach")
    hidden.hover()
    assert hidden.get_by_role("button", name="Report").count() == 0  # nothing left to report
    grace.shot("moderation-hidden-member.png")

    # After a reload the text is still gone: the page is rendered from the server's record.
    grace.page.reload()
    grace.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    assert "hidden by the coach" in grace.page.inner_text("#chat-log")
    assert "0700 123 456" not in grace.page.content()


def test_the_coach_mutes_a_member_for_15_minutes_on_a_phone_and_her_next_send_is_refused(
    people, daphne_server, harambee
):
    url = f"{daphne_server}/circles/{harambee['id']}/"
    coach, grace = people("amani.coach", PHONE), people("grace", PHONE)
    coach.open(url)
    grace.open(url)
    grace.say("Before the pause")
    coach.sees("Before the pause")

    # Members cannot mute; the coach has "Mute…" beside each member, not beside themself.
    assert grace.page.locator(".chat-mute").count() == 0
    assert coach.page.locator("[data-person='amani.coach'] .chat-mute").count() == 0
    mute = coach.page.get_by_role("button", name="Mute Grace Achieng…")
    mute.scroll_into_view_if_needed()
    mute.click()
    dialog = coach.page.get_by_role("dialog", name="Mute Grace Achieng")
    dialog.wait_for(timeout=TIMEOUT)
    choices = dialog.get_by_role("radio")
    assert [choices.nth(n).get_attribute("value") for n in range(choices.count())] == ["15", "60", "1440"]
    assert dialog.get_by_role("radio", name="15 minutes").is_checked()
    assert coach.page.evaluate("document.activeElement.value") == "15"
    assert coach.fits_the_screen()
    coach.shot("moderation-mute-dialog-360.png")
    dialog.get_by_role("button", name="Mute", exact=True).click()

    status = coach.page.locator("[data-person=grace] .chat-muted")
    status.filter(has_text=re.compile(r"^muted until .*\d\d:\d\d$")).wait_for(timeout=TIMEOUT)
    assert coach.page.evaluate("document.activeElement.getAttribute('aria-label')") == "Mute Grace Achieng…"
    coach.shot("moderation-muted-people-360.png")

    grace.say("Can I still post?")
    refusal = grace.page.locator("#chat-log .chat-failed .chat-send-error")
    refusal.wait_for(timeout=TIMEOUT)
    assert refusal.inner_text().startswith("The coach has paused your messages here until ")
    failed = grace.page.locator("#chat-log .chat-failed")
    assert "Not sent" in failed.inner_text()
    assert failed.get_by_role("button", name="Retry").is_visible()
    assert failed.get_by_role("button", name="Discard").is_visible()
    assert grace.fits_the_screen()
    grace.shot("moderation-muted-member-360.png")
    coach.page.wait_for_timeout(500)
    assert "Can I still post?" not in coach.page.inner_text("#chat-log")


def test_the_search_box_above_the_conversation_finds_a_word(people, daphne_server, harambee):
    url = f"{daphne_server}/circles/{harambee['id']}/"
    kofi, grace = people("kofi"), people("grace", PHONE)
    kofi.open(url)
    kofi.say("I practised the pitch with a quokka photo on every slide.")
    kofi.say("Something else entirely")
    kofi.sees("Something else entirely")

    grace.open(url)
    box = grace.page.get_by_role("searchbox", name="Search this circle")
    assert box.get_attribute("placeholder") == "Search this circle"
    assert grace.fits_the_screen()
    grace.shot("moderation-search-box-360.png")
    box.fill("quokka")
    box.press("Enter")
    grace.page.wait_for_url(re.compile(r"/search/\?conversation=\d+&q=quokka$"))
    results = grace.page.locator(".search-result")
    assert results.count() == 1
    assert "quokka photo on every slide" in results.inner_text()
    assert "Something else entirely" not in grace.page.inner_text("main")
    grace.shot("moderation-search-results-360.png")
