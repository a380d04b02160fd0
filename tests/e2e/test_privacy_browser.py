"""Personal data in a real browser: a member downloads their data and deletes their account; their message
stays in the circle's chat as "A former member" without its text, and they cannot sign in again. An admin
erases a member from the roster the same way."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest

from circles.models import Programme
from tests.e2e import pages

pytestmark = [pytest.mark.browser]
TIMEOUT = 10_000
CONNECTED = "#chat-status[data-state=connected]"


class Member(pages.Person):
    # The wrong password is answered 400 on purpose, and the browser logs that status.
    expected_errors = ("the server responded with a status of 400",)


def cannot_sign_in(chromium: Any, base_url: str, username: str, password: str) -> None:
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    pages.sign_in(page, base_url, username, password, expect_home=False)
    page.wait_for_selector(".form-errors", timeout=TIMEOUT)
    assert "username and password don’t match" in page.inner_text(".form-errors")
    assert page.url.endswith("/accounts/login/")
    context.close()


def test_a_member_downloads_their_data_then_deletes_their_account(
    chromium: Any, daphne_server: str, demo: dict[str, Any]
) -> None:
    circle = demo["circles"][1]
    assert circle["name"] == "Harambee"
    chat = f"/circles/{circle['id']}/"
    words = f"My last words here {uuid.uuid4().hex[:8]}"
    kofi = Member(chromium, daphne_server, "kofi", demo["password"])
    grace = pages.Person(chromium, daphne_server, "grace", demo["password"])

    # Kofi says something in the circle; Grace sees it, by his name.
    kofi.go(chat)
    kofi.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    kofi.page.fill("#chat-input", words)
    kofi.page.press("#chat-input", "Enter")
    grace.go(chat)
    said = grace.page.locator("#chat-log .chat-msg:not(.chat-pending)", has_text=words)
    said.wait_for(timeout=TIMEOUT)
    assert said.locator(".chat-author").inner_text() == "Kofi Mensah"

    # He downloads his data from his profile: a zip with his message in it.
    kofi.go("/accounts/profile/")
    with kofi.page.expect_download(timeout=TIMEOUT) as downloading:
        kofi.page.click("#download-my-data")
    download = downloading.value
    assert download.suggested_filename.startswith("circles-data-kofi-")
    with open(download.path(), "rb") as file, zipfile.ZipFile(io.BytesIO(file.read())) as archive:
        assert "profile.json" in archive.namelist()
        messages = json.loads(archive.read("messages.json"))
        profile = json.loads(archive.read("profile.json"))
    assert words in [m["text"] for m in messages]
    assert profile["username"] == "kofi"

    # A wrong password deletes nothing; his own password does, and signs him out.
    kofi.page.click("#delete-my-account")
    kofi.page.wait_for_selector("#erase-warning", timeout=TIMEOUT)
    kofi.page.fill("input[name=password]", "not-my-password")
    kofi.page.click("#delete-account")
    kofi.page.wait_for_selector("#delete-account-form .has-error .error", timeout=TIMEOUT)
    assert kofi.page.inner_text("#delete-account-form .error") == "That is not your password."
    kofi.page.fill("input[name=password]", demo["password"])
    kofi.page.click("#delete-account")
    kofi.page.wait_for_url(f"{daphne_server}/accounts/login/", timeout=TIMEOUT)
    assert "Your account is deleted." in kofi.page.inner_text("body")
    kofi.shot("privacy-deleted.png")

    # In the circle, his message keeps its place, now by "A former member" and without its text.
    grace.go(chat)
    grace.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    assert grace.page.locator("#chat-log", has_text=words).count() == 0
    tombstones = grace.page.locator("#chat-log .chat-msg.chat-deleted")
    assert tombstones.count() >= 1
    assert "A former member" in tombstones.last.locator(".chat-author").inner_text()
    assert "Kofi Mensah" not in grace.page.inner_text("#chat-log")
    grace.shot("privacy-former-member.png")

    cannot_sign_in(chromium, daphne_server, "kofi", demo["password"])
    for person in (kofi, grace):
        person.context.close()
    assert kofi.errors + grace.errors == []


def test_an_admin_erases_a_member_from_the_roster(
    chromium: Any, daphne_server: str, demo: dict[str, Any]
) -> None:
    circle = demo["circles"][1]
    member = next(name for name in circle["members"] if name not in {"kofi", "grace"})
    programme = Programme.objects.get(name=demo["programme"]["name"])
    admin = pages.Person(chromium, daphne_server, demo["admins"][0], demo["password"])

    admin.go(f"/programmes/{programme.pk}/circles/{circle['id']}/")
    row = admin.page.locator(f".person-row[data-person='{member}']")
    row.wait_for(timeout=TIMEOUT)
    name = row.locator("strong").inner_text()
    row.locator(".erase-link").click()
    admin.page.wait_for_selector("#erase-warning", timeout=TIMEOUT)
    assert name in admin.page.inner_text("#erase-warning")
    admin.page.fill("input[name=password]", demo["password"])  # the admin's own password
    admin.page.click("#erase-person")
    admin.page.wait_for_url(f"{daphne_server}/programmes/{programme.pk}/**", timeout=TIMEOUT)
    assert f"The account of {name} is erased." in admin.page.inner_text("body")

    admin.go(f"/programmes/{programme.pk}/circles/{circle['id']}/")
    admin.page.wait_for_selector(".roster", timeout=TIMEOUT)
    assert admin.page.locator(f".person-row[data-person='{member}']").count() == 0
    admin.context.close()
    assert admin.errors == []
    cannot_sign_in(chromium, daphne_server, member, demo["password"])
