"""Kofi raises a concern to Amani, his coach, in Chromium: Amani finds it on her dashboard and answers it,
Kofi reads the answer and marks it resolved, and it leaves Amani's open list; nobody else can open it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.pages import TIMEOUT, Person

pytestmark = [pytest.mark.browser]


class Outsider(Person):
    """Someone the concern is not for, whose refused page answers 404 (which the browser reports)."""

    expected_errors = ("the server responded with a status of 404",)


def raise_concern(kofi: Person, subject: str, text: str) -> str:
    """Kofi raises a concern to his coach from his progress page; the concern page's path."""
    kofi.go("/progress/")
    kofi.page.click("#concerns >> text=Raise a concern")
    kofi.page.wait_for_url(f"{kofi.base_url}/progress/concerns/new/")
    form = kofi.page.locator("#concern-form")
    assert form.locator("input[name=to][value=coach]").is_checked()  # his coach, unless he says otherwise
    form.locator("input[name=subject]").fill(subject)
    form.locator("textarea[name=text]").fill(text)
    form.locator("button[type=submit]").click()
    kofi.page.wait_for_url(f"{kofi.base_url}/progress/concerns/*/")
    return kofi.page.url.removeprefix(kofi.base_url)


def test_the_coach_answers_a_concern_and_the_member_reads_it_and_resolves_it(
    chromium: Any, daphne_server: str, demo: dict[str, Any]
) -> None:
    harambee = next(circle for circle in demo["circles"] if circle["name"] == "Harambee")
    kofi = Person(chromium, daphne_server, "kofi", demo["password"], timeout=TIMEOUT)
    path = raise_concern(kofi, "Sessions run late", "We finished 40 minutes late twice; I miss my bus.")
    assert "Your concern is raised" in kofi.page.inner_text(".messages")
    assert kofi.page.inner_text("#concern-status") == "open"
    assert "Amani Wanjiru" in kofi.page.inner_text(".facts")  # raised to his coach

    # Amani sees it among the open concerns of her circle's dashboard, and answers it from there.
    amani = Person(chromium, daphne_server, "amani.coach", demo["password"], timeout=TIMEOUT)
    amani.go(f"/circles/{harambee['id']}/progress/")
    assert amani.page.inner_text("#concerns-count") == "1"
    listed = amani.page.locator("#concerns .concern-list li")
    assert "Kofi Mensah" in listed.inner_text()
    listed.locator("a", has_text="Sessions run late").click()
    amani.page.wait_for_url(f"{daphne_server}{path}")
    assert "I miss my bus" in amani.page.inner_text(".concern-text")
    amani.page.fill("#answer-form textarea[name=text]", "You are right: from Thursday we stop on the hour.")
    amani.page.click("#answer-form button[type=submit]")
    amani.page.locator(".messages", has_text="Your answer is sent.").wait_for()
    assert amani.page.inner_text("#concern-status") == "answered"

    # Kofi sees the answer, with who gave it, and marks the concern resolved.
    kofi.go("/progress/")
    mine = kofi.page.locator("#concerns .concern-list li", has_text="Sessions run late")
    assert mine.locator(".badge").inner_text() == "answered"
    mine.locator("a").click()
    kofi.page.wait_for_url(f"{daphne_server}{path}")
    answer = kofi.page.locator("#concern-history li[data-kind=answered]")
    assert "Amani Wanjiru" in answer.inner_text()
    assert answer.locator(".event-text").inner_text() == "You are right: from Thursday we stop on the hour."
    kofi.page.fill("#resolve-note", "Thanks, that works for me.")
    kofi.page.click("#resolve-form button[type=submit]")
    kofi.page.locator(".messages", has_text="The concern is resolved").wait_for()
    assert kofi.page.inner_text("#concern-status") == "resolved"
    assert kofi.page.locator("#resolve-form, #follow-up-form").count() == 0  # nothing more to do on it

    # It leaves Amani's open concerns, and its page shows her how it ended.
    amani.go(f"/circles/{harambee['id']}/progress/")
    assert amani.page.inner_text("#concerns-count") == "0"
    assert "No open concerns." in amani.page.inner_text("#concerns")
    amani.go(path)
    assert amani.page.inner_text("#concern-status") == "resolved"
    assert "Thanks, that works for me." in amani.page.inner_text("#concern-history li[data-kind=resolved]")
    assert amani.page.locator("#answer-form").count() == 0
    assert kofi.errors + amani.errors == []


def test_no_one_else_can_open_or_handle_a_concern(
    chromium: Any, daphne_server: str, demo: dict[str, Any]
) -> None:
    kofi = Person(chromium, daphne_server, "kofi", demo["password"], timeout=TIMEOUT)
    path = raise_concern(kofi, "A private worry", "Something I only want my coach to read.")
    # Not a circle-mate (Grace), another circle's member (Camila) or another circle's coach (Lucía).
    for username in ("grace", "camila", "lucia.coach"):
        other = Outsider(chromium, daphne_server, username, demo["password"], timeout=TIMEOUT)
        response = other.page.goto(f"{daphne_server}{path}")
        assert response is not None
        assert response.status == 404, username
        assert other.page.locator(".error-page #error-title").count() == 1  # the 404 page, in their language
        assert "A private worry" not in other.page.content()
        # Answering or resolving it by hand, with a valid CSRF token, is refused the same way.
        token = next(c["value"] for c in other.context.cookies() if c["name"] == "csrftoken")
        for action in ("answer", "resolve"):
            refused = other.page.request.post(
                f"{daphne_server}{path}{action}/",
                form={"text": "Closing this.", "note": "Closing this."},
                headers={"X-CSRFToken": token, "Referer": f"{daphne_server}{path}"},
            )
            assert refused.status == 404, (username, action)
        other.context.close()
        assert other.errors == []
    kofi.go(path)
    assert kofi.page.inner_text("#concern-status") == "open"
    assert kofi.page.locator("#concern-history li").count() == 1  # only its raising: nothing was changed
    assert kofi.errors == []
