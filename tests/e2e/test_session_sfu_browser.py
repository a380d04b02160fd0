"""The stage through the SFU in real browsers: a real daphne talking to a real Janus, Chromium's fake media.
The coach and a member publish; the audience receives both; the member's screen goes through the publisher.

Needs the `janus` and `daphne_factory` fixtures (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from coaching.accounts.models import User
from tests.e2e.test_session_browser import OPEN, TIMEOUT, Person, schedule_horizonte

pytestmark = [pytest.mark.browser]


@pytest.fixture
def sfu_server(daphne_factory: Any, janus: Any) -> str:
    """A daphne whose stage goes through the test session's Janus."""
    return str(daphne_factory(JANUS_URL=janus.url, JANUS_API_SECRET=janus.secret))


@pytest.fixture
def session_id(demo: dict[str, Any]) -> int:
    """The Horizonte session of the mesh tests, in ten minutes."""
    return int(schedule_horizonte("")["id"])


@pytest.fixture
def three(chromium: Any, sfu_server: str, demo: dict[str, Any]) -> Iterator[tuple[Person, Person, Person]]:
    people = tuple(
        Person(chromium, sfu_server, name, demo["password"]) for name in ("diego.coach", "sofia", "emma")
    )
    yield people  # type: ignore[misc]
    for person in people:
        person.context.close()
    OPEN.clear()


def test_the_audience_receives_the_stage_through_janus(three, sfu_server, session_id):
    coach, sofia, emma = three
    ids = dict(
        User.objects.filter(username__in=["diego.coach", "sofia", "emma"]).values_list("username", "pk")
    )
    for person in three:
        person.open(f"{sfu_server}/sessions/{session_id}/")
    coach.page.click("#session-start")
    for person in three:
        person.wait_status("live")
    assert emma.hook("state")["media"] == "sfu"
    assert emma.hook("state")["viewers"] is None
    coach.page.wait_for_function(
        "() => window.circlesSession.sfu.publishing === 'connected'", timeout=TIMEOUT
    )

    # The audience member's <video> for the coach plays: a picture, and frames advancing.
    emma.plays_video_of(ids["diego.coach"])
    assert emma.page.evaluate("[window.__mediaRequests, window.circlesSession.peers.length]") == [0, 0]

    sofia.page.click("#hand-raise")
    coach.page.get_by_role("button", name="Invite Sofía Navarro to the stage").click()
    sofia.page.wait_for_function(
        "() => window.circlesSession.sfu.publishing === 'connected'", timeout=TIMEOUT
    )
    for person, other in ((emma, "sofia"), (coach, "sofia"), (sofia, "diego.coach")):
        person.plays_video_of(ids[other])

    # Her shared screen replaces the camera on the one publisher, and comes back.
    sofia.page.get_by_role("button", name="Share your screen").click()
    sofia.page.wait_for_function(
        "() => (sent => sent.length === 1 && sent[0].startsWith('screen'))(window.circlesSession.sentVideo)",
        timeout=TIMEOUT,
    )
    emma.page.locator(f".stage-tile[data-user='{ids['sofia']}'] .stage-flag-screen").wait_for(timeout=TIMEOUT)
    emma.plays_video_of(ids["sofia"])
    sofia.page.get_by_role("button", name="Stop sharing your screen").click()
    sofia.page.wait_for_function(
        "() => !window.circlesSession.sentVideo[0].startsWith('screen')", timeout=TIMEOUT
    )

    # Off the stage, her stream ends for everyone.
    coach.page.get_by_role("button", name="Take Sofía Navarro off the stage").click()
    emma.page.wait_for_selector(f".stage-tile[data-user='{ids['sofia']}']", state="detached", timeout=TIMEOUT)
    sofia.page.wait_for_function("() => window.circlesSession.sfu.publishing === null", timeout=TIMEOUT)
    emma.shot("session-sfu-audience.png", full_page=True)
    assert coach.errors + sofia.errors + emma.errors == []


def test_the_room_says_when_janus_is_gone_and_the_video_comes_back(
    chromium, own_daphne_factory, own_janus, demo, session_id
):
    server = own_daphne_factory(JANUS_URL=own_janus.url, JANUS_API_SECRET=own_janus.secret)
    url = f"{server}/sessions/{session_id}/"
    coach = Person(chromium, server, "diego.coach", demo["password"])
    emma = Person(chromium, server, "emma", demo["password"])
    try:
        coach_id = User.objects.get(username="diego.coach").pk
        for person in (coach, emma):
            person.open(url)
        coach.page.click("#session-start")
        emma.plays_video_of(coach_id)
        own_janus.stop()
        down = emma.page.locator("#session-media-down")
        down.wait_for(timeout=TIMEOUT)
        assert down.inner_text() == (
            "The video server cannot be reached; chat still works. Video comes back by itself."
        )
        emma.page.fill("#chat-input", "Still here")
        emma.page.press("#chat-input", "Enter")
        coach.page.locator("#chat-log .chat-body", has_text="Still here").wait_for(timeout=TIMEOUT)
        own_janus.start()
        down.wait_for(state="hidden", timeout=30_000)
        emma.plays_video_of(coach_id)
        assert coach.errors + emma.errors == []
    finally:
        coach.context.close()
        emma.context.close()
