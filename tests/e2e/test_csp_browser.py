"""Under the Content-Security-Policy the browser runs only the site's own scripts, and what used to be inline
handlers still works from static files."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.pages import TIMEOUT, sign_in

pytestmark = [pytest.mark.browser]


def test_injected_inline_script_is_refused_and_the_suite_notices(chromium, daphne_server, demo):
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, daphne_server, "kofi", demo["password"])
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
          const image = '<img src="/static/none.png" onerror="window.injected = true">';
          document.body.insertAdjacentHTML("beforeend", image);
        }"""
    )
    page.wait_for_function("() => window.__cspViolations.length >= 2", timeout=TIMEOUT)
    assert page.evaluate("window.injected") is None
    refused = chromium.collected()  # read (and cleared) here, so the check after the test passes
    assert any(text.startswith("script-src-elem refused inline") for text in refused), refused
    assert any(text.startswith("script-src-attr refused inline") for text in refused), refused
    context.close()


def test_the_calendar_link_is_selected_and_copied_by_the_static_script(chromium, daphne_server, demo):
    context = chromium.new_context(locale="en-GB", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, daphne_server, "kofi", demo["password"])
    page.goto(f"{daphne_server}{reverse('profile')}")
    if not page.locator("#calendar-feed-url").count():
        page.click("#calendar-renew")
    link = page.locator("#calendar-feed-url")
    link.wait_for(timeout=TIMEOUT)
    feed = link.input_value()
    link.focus()
    page.wait_for_function(
        "() => { const input = document.getElementById('calendar-feed-url');"
        " return input.selectionStart === 0 && input.selectionEnd === input.value.length; }",
        timeout=TIMEOUT,
    )
    page.click("button[data-copy=calendar-feed-url]")
    page.wait_for_selector("button[data-copy=calendar-feed-url]:has-text('Copied')", timeout=TIMEOUT)
    assert page.evaluate("navigator.clipboard.readText()") == feed
    context.close()


def test_a_sent_form_disables_its_button_against_a_second_click(chromium, daphne_server, demo):
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, daphne_server, demo["admins"][0], demo["password"])
    page.goto(f"{daphne_server}{reverse('programme_matching', args=[demo['programme']['id']])}")
    # Hold the post back, so the page stays to be looked at after the submit.
    page.evaluate("document.addEventListener('submit', (event) => event.preventDefault(), true)")
    page.click(".propose-form button")
    page.wait_for_selector(".propose-form button:disabled", timeout=TIMEOUT)
    context.close()
