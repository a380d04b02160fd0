"""Every page, for every role, in both languages, on a 390x844 phone: axe-core finds nothing serious or
critical, and a full-page screenshot of each is saved under var/screenshots/<language>/ for review. The
error pages are among them: not found, a circle one is not in, a refusal (403) and a fault (500), the last
two through pages only the tests' URLconf has (tests/urls.py), answered by the real handlers.

axe is injected with `page.evaluate` (axe-playwright-python), a DevTools call the page's
Content-Security-Policy does not govern: the policy stays as strict as production's. One browser context
per role serves both languages (the signed-in person's language is a profile setting; the signed-out
visitor's the language cookie), and one shared daphne serves every page.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e import pages
from tests.e2e.pages import TIMEOUT
from tests.urls import BROKEN, FORBIDDEN

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SERIOUS = {"serious", "critical"}
MEMBER, COACH, ADMIN = "kofi", "amani.coach", "ana.admin"


def _seed() -> dict[str, Any]:
    from django.db import connection

    from coaching.demo import describe_demo, seed_demo

    try:
        seed_demo(activity=True)
        return describe_demo()
    finally:
        connection.close()


@pytest.fixture
def lively_demo(transactional_db: None) -> dict[str, Any]:
    """The demo with its weeks of activity (sessions, logs, goals, conversations), as `make run` has it."""
    # Seeding broadcasts chat messages through async_to_sync, which cannot run in Playwright's thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_seed).result(timeout=120)


def _pages_by_role(demo: dict[str, Any]) -> dict[str | None, list[tuple[str, str]]]:
    """(name, path) of every page each role reaches; None is the signed-out visitor."""
    from chat.models import Message, Thread
    from circles.announcements import Announcement
    from circles.models import Circle
    from coaching.accounts.models import User
    from coaching.live.models import LiveSession
    from coaching.progress.models import Concern

    programme = demo["programme"]["id"]
    harambee = Circle.objects.get(name="Harambee")
    kofi = User.objects.get(username=MEMBER)
    thread = Thread.objects.filter(member=kofi).first()
    sessions = LiveSession.objects.filter(circle=harambee)
    upcoming = sessions.filter(status=LiveSession.Status.SCHEDULED).order_by("starts_at").first()
    ended = sessions.filter(status=LiveSession.Status.ENDED).order_by("-starts_at").first()
    # Kofi's own concern, raised to his coach: he and Amani may both open it.
    concern = Concern.objects.filter(circle=harambee, member=kofi, to=Concern.To.COACH).first()
    message = Message.objects.filter(room__circle=harambee).order_by("-seq").first()
    assert upcoming
    assert ended
    assert message
    common = [
        ("profile", "/accounts/profile/"),
        ("notifications", "/notifications/"),
        ("password-change", "/accounts/password_change/"),
        ("not-found", "/no-such-page/"),
        ("forbidden", FORBIDDEN),
        ("server-error", BROKEN),
    ]
    circle = [
        ("circle", f"/circles/{harambee.pk}/"),
        ("library", f"/circles/{harambee.pk}/library/"),
        ("notes-history", f"/circles/{harambee.pk}/library/notes/history/"),
        ("search", f"/search/?q={message.body.split()[0]}"),
        ("session", f"/sessions/{upcoming.pk}/"),
        ("session-ended", f"/sessions/{ended.pk}/"),
        ("commitments", "/commitments/"),
    ]
    if thread is not None:
        circle.append(("thread", f"/threads/{thread.pk}/"))
    if concern is not None:
        circle.append(("concern", f"/progress/concerns/{concern.pk}/"))
    member = [("home", "/"), *circle, ("progress", "/progress/"), *common]
    coach = [
        ("home", "/"),
        *circle,
        ("circle-progress", f"/circles/{harambee.pk}/progress/"),
        ("member-progress", f"/circles/{harambee.pk}/progress/members/{kofi.pk}/"),
        ("schedule", f"/circles/{harambee.pk}/sessions/new/"),
        ("session-edit", f"/sessions/{upcoming.pk}/edit/"),
        ("session-log", f"/sessions/{ended.pk}/log/"),
        *common,
    ]
    announcement = Announcement.objects.filter(programme_id=programme).first()
    admin = [
        ("home", "/"),
        ("programmes", "/programmes/"),
        ("programme", f"/programmes/{programme}/"),
        ("roster", f"/programmes/{programme}/circles/{harambee.pk}/"),
        ("new-circle", f"/programmes/{programme}/circles/new/"),
        ("audit", f"/programmes/{programme}/audit/"),
        ("announcements", f"/programmes/{programme}/announcements/"),
        ("reports", f"/programmes/{programme}/reports/"),
        ("matching", f"/programmes/{programme}/matching/"),
        ("import", f"/programmes/{programme}/import/"),
        ("programme-progress", f"/programmes/{programme}/progress/"),
        ("circle-refused", f"/circles/{harambee.pk}/"),
        *common,
    ]
    if announcement is not None:
        admin.append(("announcement", f"/announcements/{announcement.pk}/"))
    signed_out = [
        ("sign-in", "/accounts/login/"),
        ("home", "/"),
        ("password-reset", "/accounts/password_reset/"),
        ("password-reset-sent", "/accounts/password_reset/done/"),
        ("password-reset-bad-link", "/accounts/reset/MQ/bad-token/"),
        ("invitation-bad-link", "/invite/not-a-token/"),
        ("not-found", "/no-such-page/"),
        ("forbidden", FORBIDDEN),
        ("server-error", BROKEN),
    ]
    return {MEMBER: member, COACH: coach, ADMIN: admin, None: signed_out}


def _serious(results: Any) -> list[str]:
    """One line per serious or critical violation: rule, what it means, where."""
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:4])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


# The pages that answer an error on purpose; every other page answers 200.
ERROR_STATUS = {
    "not-found": 404,
    "circle-refused": 404,
    "invitation-bad-link": 404,
    "forbidden": 403,
    "server-error": 500,
}


def _console_error(errors: list[str], who: str, page: Any, message: Any, expected: dict[str, int]) -> None:
    # A page answering an error on purpose logs its own status, and every page its missing favicon.
    refused = f"status of {expected['status']}" in message.text or "status of 404" in message.text
    if message.type == "error" and not refused:
        errors.append(f"{who} {page.url}: {message.text}")


def _set_language(username: str, language: str) -> None:
    from coaching.accounts.models import User

    User.objects.filter(username=username).update(ui_language=language)


def test_every_page_for_every_role_has_no_serious_accessibility_violation(
    chromium, daphne_server, lively_demo
):
    axe = Axe()
    found: list[str] = []
    errors: list[str] = []
    expected = {"status": 200}  # what the page being visited answers, for the console check
    for role, visits in _pages_by_role(lively_demo).items():
        who = role or "visitor"
        if role is None:
            context = chromium.new_context(viewport=PHONE, locale="en-GB")
            context.set_default_timeout(TIMEOUT)
            page = context.new_page()
        else:
            person = pages.Person(
                chromium, daphne_server, role, lively_demo["password"], viewport=PHONE, timeout=TIMEOUT
            )
            context, page = person.context, person.page
        page.on("pageerror", lambda error, page=page, who=who: errors.append(f"{who} {page.url}: {error}"))
        page.on(
            "console",
            lambda message, page=page, who=who: _console_error(errors, who, page, message, expected),
        )
        for language in ("en", "es"):
            if role is None:
                context.add_cookies([{"name": "django_language", "value": language, "url": daphne_server}])
            else:
                _set_language(role, language)
            folder = SCREENSHOTS / language
            folder.mkdir(parents=True, exist_ok=True)
            for name, path in visits:
                expected["status"] = ERROR_STATUS.get(name, 200)
                response = page.goto(f"{daphne_server}{path}", wait_until="networkidle")
                assert response is not None
                assert response.status == expected["status"], f"{who} {path}"
                page.wait_for_function("() => document.readyState === 'complete'")
                assert page.locator("html").get_attribute("lang") == language, f"{who} {path}"
                found += [f"{who} {language} {path}: {line}" for line in _serious(axe.run(page))]
                page.screenshot(path=str(folder / f"{who}-{name}.png"), full_page=True)
        if role is not None:
            _set_language(role, "en")
        context.close()
    assert not found, "axe found serious or critical violations:\n" + "\n".join(found)
    assert errors == []
