"""Steps and the signed-in person the browser tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT = 10_000


def sign_in(page: Any, base_url: str, username: str, password: str, *, expect_home: bool = True) -> None:
    """Sign in through the real form; by default wait until the home page has loaded."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    if expect_home:
        page.wait_for_url(f"{base_url}/")


class Person:
    """A demo person signed in through the real form, in a browser context of their own; errors collected."""

    # Console errors a test provokes on purpose (matched in the text), besides the missing favicon.
    expected_errors: tuple[str, ...] = ()

    def __init__(
        self,
        chromium: Any,
        base_url: str,
        username: str,
        password: str,
        *,
        locale: str = "en-GB",
        viewport: dict[str, int] | None = None,
        timeout: int | None = None,
        init_script: str | None = None,
        **options: Any,
    ) -> None:
        """`options` go to the browser context as they are (time zone, touch, …)."""
        self.base_url = base_url
        self.username = username
        if viewport is not None:
            options["viewport"] = viewport
        self.context = chromium.new_context(locale=locale, **options)
        if timeout is not None:
            self.context.set_default_timeout(timeout)
        if init_script is not None:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        sign_in(self.page, base_url, username, password)

    def _console(self, message: Any) -> None:
        url = message.location.get("url", "")
        expected = url.endswith("favicon.ico") or any(text in message.text for text in self.expected_errors)
        if message.type == "error" and not expected:
            self.errors.append(f"{message.text} {url}")

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")

    def shot(self, name: str, *, full_page: bool = False) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SHOTS / name), full_page=full_page)
