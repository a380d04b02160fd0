"""Steps the browser tests share."""

from __future__ import annotations

from typing import Any


def sign_in(page: Any, base_url: str, username: str, password: str, *, expect_home: bool = True) -> None:
    """Sign in through the real form; by default wait until the home page has loaded."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.form button[type=submit]")
    if expect_home:
        page.wait_for_url(f"{base_url}/")
