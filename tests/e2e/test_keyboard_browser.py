"""The chat and the live session with the keyboard alone, heard through their live regions; and the details of
how people's words are shown: reply quotes as text, mixed scripts each in their own direction, a hover
toolbar inside its own message, an audit table that keeps to its column."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.e2e import pages

pytestmark = [pytest.mark.browser]
TIMEOUT = 15_000
DESKTOP = {"width": 1100, "height": 800}


class Person(pages.Person):
    """A demo person who only uses the keyboard (pointer actions are for the toolbar check alone)."""

    def open(self, url: str, sentinel: str = "#chat-status[data-state=connected]") -> None:
        self.page.goto(url)
        self.page.wait_for_selector(sentinel, timeout=TIMEOUT)

    def tab_to(self, selector: str, *, back: bool = False, limit: int = 80) -> None:
        """Press Tab (Shift+Tab with `back`) until the focused element matches `selector`."""
        for _press in range(limit):
            if self.page.evaluate("s => !!document.activeElement?.matches(s)", selector):
                return
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
        raise AssertionError(f"{self.username}: Tab never reached {selector}")

    def message(self, text: str) -> Any:
        return self.page.locator("#chat-log .chat-msg:not(.chat-pending)", has_text=text).last

    def hears(self, text: str) -> None:
        """The polite live region says `text` (a screen reader reads it out)."""
        self.page.wait_for_function(
            "([s, text]) => document.querySelector(s).textContent.includes(text)",
            arg=["[aria-live=polite]#chat-announcer, [aria-live=polite]#session-announcer", text],
            timeout=TIMEOUT,
        )


def _people(chromium: Any, base: str, demo: dict[str, Any], *names: str) -> list[Person]:
    password = demo["password"]
    return [Person(chromium, base, name, password, viewport=DESKTOP, timeout=TIMEOUT) for name in names]


def _close(*people: Person) -> None:
    for person in people:
        person.context.close()
    assert [error for person in people for error in person.errors] == []


def test_a_member_sends_replies_and_reacts_by_keyboard_and_the_other_hears_it(chromium, daphne_server, demo):
    circle = next(c for c in demo["circles"] if c["name"] == "Harambee")
    url = f"{daphne_server}/circles/{circle['id']}/"
    kofi, grace = _people(chromium, daphne_server, demo, "kofi", "grace")
    kofi.open(url)
    grace.open(url)

    kofi.tab_to("#chat-input")
    kofi.page.keyboard.type("Who has tried **time blocking**?")
    kofi.page.keyboard.press("Enter")
    grace.message("Who has tried").wait_for(timeout=TIMEOUT)
    grace.hears("Kofi Mensah: Who has tried time blocking?")  # the words, not the markdown

    # Grace: from the composer back into the conversation, to the message's Reply, and her answer.
    grace.tab_to("#chat-input")
    grace.tab_to("#chat-log li.chat-msg", back=True)
    grace.page.keyboard.press("End")
    grace.tab_to("#chat-log li.chat-msg:last-child button[data-action=reply]")
    grace.page.keyboard.press("Enter")
    grace.page.wait_for_function("() => document.activeElement.id === 'chat-input'", timeout=TIMEOUT)
    grace.page.keyboard.type("Me, every Monday")
    grace.page.keyboard.press("Enter")
    kofi.message("Me, every Monday").wait_for(timeout=TIMEOUT)
    kofi.hears("Grace Achieng: Me, every Monday")
    quote = kofi.message("Me, every Monday").locator(".chat-quote")
    assert quote.inner_text().strip() == "↩ Kofi Mensah Who has tried time blocking?"

    # Kofi reacts to Grace's answer: into the log, its React button, the first emoji.
    kofi.tab_to("#chat-log li.chat-msg", back=True)
    kofi.page.keyboard.press("End")
    kofi.tab_to("#chat-log li.chat-msg:last-child button[data-action=react]")
    kofi.page.keyboard.press("Enter")
    kofi.page.wait_for_function("() => document.activeElement.matches('.chat-picker .chat-pick')")
    kofi.page.keyboard.press("Enter")
    chip = grace.message("Me, every Monday").locator(".chat-reaction")
    chip.wait_for(timeout=TIMEOUT)
    assert chip.inner_text().endswith(" 1")
    assert kofi.message("Me, every Monday").locator(".chat-reaction").get_attribute("aria-pressed") == "true"
    _close(kofi, grace)


def test_mixed_scripts_read_in_their_own_direction_and_the_toolbar_covers_nothing(
    chromium, daphne_server, demo
):
    circle = next(c for c in demo["circles"] if c["name"] == "Harambee")
    url = f"{daphne_server}/circles/{circle['id']}/"
    [kofi] = _people(chromium, daphne_server, demo, "kofi")
    kofi.open(url)
    for text in ("First things first", "مرحبا team, شكرا على الاجتماع"):
        kofi.page.fill("#chat-input", text)
        kofi.page.press("#chat-input", "Enter")
        kofi.message(text[:10]).wait_for(timeout=TIMEOUT)
    arabic = kofi.message("مرحبا")

    # The hover toolbar stays inside the message it belongs to.
    arabic.hover()
    tools = arabic.locator(".chat-tools")
    tools.locator("button").first.wait_for(state="visible")
    box, own = tools.bounding_box(), arabic.bounding_box()
    assert box
    assert own
    assert box["y"] >= own["y"] - 0.5
    assert box["y"] + box["height"] <= own["y"] + own["height"] + 0.5

    # Each message reads in its own script's direction.
    direction = "node => getComputedStyle(node).direction"
    assert arabic.locator(".chat-body").evaluate(direction) == "rtl"
    assert kofi.message("First things").locator(".chat-body").evaluate(direction) == "ltr"
    assert arabic.locator(".chat-author").get_attribute("dir") == "auto"

    # Replying quotes the Arabic right to left as well.
    arabic.hover()
    arabic.get_by_role("button", name="Reply").click()
    kofi.page.fill("#chat-input", "Thanks!")
    kofi.page.press("#chat-input", "Enter")
    kofi.message("Thanks!").wait_for(timeout=TIMEOUT)
    quoted = kofi.message("Thanks!").locator(".chat-quote span[dir=auto]").last
    assert quoted.evaluate(direction) == "rtl"
    _close(kofi)


def test_a_long_unbroken_reason_wraps_inside_the_audit_table(chromium, daphne_server, demo):
    from circles import services
    from circles.models import Circle
    from coaching.accounts.models import User

    services.move_member(
        actor=User.objects.get(username="ana.admin"),
        member=User.objects.get(username="daniel"),
        from_circle=Circle.objects.get(name="Harambee"),
        to_circle=Circle.objects.get(name="Puentes"),
        reason="x" * 400,
    )
    [admin] = _people(chromium, daphne_server, demo, "ana.admin")
    for viewport in (DESKTOP, {"width": 390, "height": 844}):
        admin.page.set_viewport_size(viewport)
        admin.open(f"{daphne_server}/programmes/{demo['programme']['id']}/audit/", "table.audit")
        wrap = admin.page.locator(".table-wrap").first
        sizes = wrap.evaluate(
            """w => ({table: w.scrollWidth, room: w.clientWidth, page: document.documentElement.scrollWidth,
              reason: w.querySelector('tr.audit-entry td:last-child').getBoundingClientRect().width})"""
        )
        assert sizes["page"] <= viewport["width"], sizes  # the page itself never scrolls sideways
        assert sizes["reason"] <= sizes["room"], sizes  # the reason wraps within what the reader sees
        if viewport is DESKTOP:
            assert sizes["table"] <= sizes["room"] + 1, sizes  # and on a desktop the whole table fits
    _close(admin)


def _session_soon(circle_name: str) -> int:
    from circles.models import Circle
    from coaching.accounts.models import User
    from coaching.live.scheduling import schedule_session

    circle = Circle.objects.get(name=circle_name)
    coach = circle.memberships.coaches().get().user
    soon = (timezone.now() + dt.timedelta(minutes=10)).astimezone(ZoneInfo(coach.timezone))
    [session] = schedule_session(
        coach=User.objects.get(pk=coach.pk),
        circle=circle,
        title="Keyboard only",
        agenda="",
        local_start=soon.replace(tzinfo=None, second=0, microsecond=0),
        duration_minutes=45,
    )
    return session.pk


def test_a_coach_and_a_member_run_the_stage_by_keyboard_and_hear_its_changes(chromium, daphne_server, demo):
    session = _session_soon("Horizonte")
    url = f"{daphne_server}/sessions/{session}/"
    coach, sofia = _people(chromium, daphne_server, demo, "diego.coach", "sofia")
    for person in (coach, sofia):
        person.open(url, "#session-status[data-state=connected]")

    coach.tab_to("#session-start")
    coach.page.keyboard.press("Enter")
    sofia.page.wait_for_selector("#session[data-status=live]", timeout=TIMEOUT)
    sofia.hears("The session has started.")

    sofia.tab_to("#hand-raise")
    sofia.page.keyboard.press("Enter")
    coach.hears("Sofía Navarro raised a hand.")
    coach.tab_to("#hand-list button.session-invite")
    coach.page.keyboard.press("Enter")
    sofia.hears("You are on stage.")
    coach.hears("Sofía Navarro is on stage.")
    sofia.tab_to("#stage-leave")
    sofia.page.keyboard.press("Enter")
    coach.hears("Sofía Navarro left the stage.")
    _close(coach, sofia)
