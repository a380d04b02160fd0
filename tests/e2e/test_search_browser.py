"""Search in a real browser on a real daphne: from the top navigation to the message, in its conversation."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e import pages

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
TIMEOUT = 10_000


def in_thread(work: Any) -> Any:
    """Database work in a thread of its own: broadcasts after commit cannot run beside Playwright's loop."""
    from django.db import connection

    def run() -> Any:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=60)


def test_a_member_searches_from_the_nav_and_lands_on_the_message_in_its_conversation(
    chromium, daphne_server, demo
):
    from chat.access import access_room
    from chat.sending import Send, Sent, send_messages
    from coaching.accounts.models import User

    circle = demo["circles"][1]
    assert {"kofi", "grace"} <= set(circle["members"])

    def write_history() -> Any:
        kofi = User.objects.get(username="kofi")
        room = access_room(kofi, circle["id"])
        bodies = [f"Update number {n}" for n in range(1, 131)]
        bodies[4] = "The workshops moved to the <library> on Friday"  # far before the first page of 50
        sends = [Send(author=kofi, room=room, client_id=uuid.uuid4(), body=body) for body in bodies]
        sent = [result for result in send_messages(sends=sends) if isinstance(result, Sent)]
        assert len(sent) == len(sends)
        return sent[4].message

    target = in_thread(write_history)
    grace = pages.Person(
        chromium, daphne_server, "grace", demo["password"], viewport={"width": 360, "height": 740}
    )
    try:
        page = grace.page
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
        page.wait_for_url(f"{daphne_server}/search/")
        page.get_by_label("Words to find").fill("workshop")  # English stemming: "workshops" is found
        page.get_by_role("button", name="Search").click()
        result = page.locator(f".search-result[data-message='{target.pk}']")
        result.wait_for(timeout=TIMEOUT)
        assert result.locator("mark").inner_text() == "workshops"
        snippet = result.locator(".search-snippet").inner_text()
        assert snippet == "The workshops moved to the <library> on Friday"  # the text, not a tag
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        grace.shot("search-results-360.png")

        result.get_by_role("link", name="Open in the conversation").click()
        page.wait_for_url(f"{daphne_server}/circles/{circle['id']}/#message-{target.pk}")
        shown = page.locator(f"#chat-log .chat-msg.chat-target[data-id='{target.pk}']")
        shown.wait_for(timeout=TIMEOUT)
        assert "The workshops moved to the" in shown.inner_text()
        page.wait_for_function(
            f"document.activeElement && document.activeElement.dataset.id === '{target.pk}'", timeout=TIMEOUT
        )
        grace.shot("search-opened-message-360.png")
    finally:
        grace.context.close()
    assert grace.errors == []
