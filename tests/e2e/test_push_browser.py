"""The profile's "Notifications on your devices" in real Chromium: the worker registers from /sw.js, and
a browser that cannot or may not show notifications is told so in words (a real push service is not
reachable offline; tests/notifications/test_push.py plays one for the server side)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from coaching.accounts.models import User
from coaching.lib.vapid import new_pair
from coaching.notifications.models import PushSubscription
from tests.e2e.pages import TIMEOUT, Person

pytestmark = [pytest.mark.browser]


@functools.cache
def vapid_pair() -> tuple[str, str]:
    """One pair for the module: its tests then share one server (servers are shared by environment)."""
    return new_pair()


@pytest.fixture
def push_keys(monkeypatch: pytest.MonkeyPatch) -> str:
    """VAPID keys in the environment of the daphne the test starts next (request this fixture first)."""
    public, private = vapid_pair()
    monkeypatch.setenv("WEBPUSH_VAPID_PUBLIC_KEY", public)
    monkeypatch.setenv("WEBPUSH_VAPID_PRIVATE_KEY", private)
    return public


def open_devices(chromium: Any, url: str, demo: dict[str, Any], **options: Any) -> Person:
    kofi = Person(chromium, url, "kofi", str(demo["password"]), **options)
    kofi.go("/accounts/profile/")
    kofi.page.wait_for_selector("#push-devices h2")
    return kofi


def test_it_registers_the_service_worker_for_the_whole_site(push_keys, chromium, daphne_server, demo):
    kofi = open_devices(chromium, daphne_server, demo)
    page = kofi.page
    served = page.request.get(f"{daphne_server}/sw.js")
    assert served.status == 200
    assert served.headers["content-type"].startswith("application/javascript")
    assert served.headers["service-worker-allowed"] == "/"
    assert "no-cache" in served.headers["cache-control"]
    scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
    assert scope == f"{daphne_server}/"
    section = page.locator("section#push-devices")
    assert section.get_attribute("aria-labelledby") == "push-title"
    assert page.inner_text("#push-title") == "Notifications on your devices"
    page.wait_for_selector("#push-enable:not([hidden])", timeout=TIMEOUT)
    assert page.get_by_role("button", name="Notify me on this device").is_enabled()
    assert page.inner_text("#push-no-devices") == "No device gets notifications yet."
    assert kofi.errors == []
    kofi.context.close()


def test_it_says_so_when_notifications_are_blocked(push_keys, chromium, daphne_server, demo):
    # The person clicks "Block" on the browser's prompt.
    blocked = "Notification.requestPermission = () => Promise.resolve('denied');"
    kofi = open_devices(chromium, daphne_server, demo, init_script=blocked)
    page = kofi.page
    page.get_by_role("button", name="Notify me on this device").click()
    status = page.get_by_role("status").filter(has_text="blocked")
    status.wait_for(timeout=TIMEOUT)
    assert "Allow them in the browser’s site settings" in status.inner_text()
    assert PushSubscription.objects.count() == 0
    kofi.context.close()

    # Blocked earlier: said at once, and the button cannot be pressed.
    already = "Object.defineProperty(Notification, 'permission', { get: () => 'denied' });"
    kofi = open_devices(chromium, daphne_server, demo, init_script=already)
    kofi.page.get_by_role("status").filter(has_text="blocked").wait_for(timeout=TIMEOUT)
    assert kofi.page.get_by_role("button", name="Notify me on this device").is_disabled()
    kofi.context.close()


def test_it_says_so_when_the_browser_cannot_receive_notifications(push_keys, chromium, daphne_server, demo):
    kofi = open_devices(chromium, daphne_server, demo, init_script="delete window.PushManager;")
    page = kofi.page
    page.get_by_role("status").filter(has_text="cannot show notifications").wait_for(timeout=TIMEOUT)
    assert page.locator("#push-enable").is_hidden()
    kofi.context.close()


def test_it_lists_the_persons_devices_and_removes_one(push_keys, chromium, daphne_server, demo):
    owner = User.objects.get(username="kofi")
    User.objects.filter(pk=owner.pk).update(ui_language="es")
    PushSubscription.objects.create(
        user=owner, endpoint="https://push.example/a", p256dh="x", auth="y", label="Firefox · Android"
    )
    kofi = open_devices(chromium, daphne_server, demo)
    page = kofi.page
    assert page.inner_text("#push-title") == "Notificaciones en tus dispositivos"
    row = page.locator("#push-device-list li")
    assert "Firefox · Android" in row.inner_text()
    page.get_by_role("button", name="Quitar Firefox · Android").click()
    page.wait_for_selector("#push-no-devices:not([hidden])", timeout=TIMEOUT)
    assert page.url.endswith("#push-devices")
    assert not PushSubscription.objects.filter(user=owner).exists()
    kofi.context.close()


def test_it_says_so_when_the_push_service_cannot_be_reached(push_keys, chromium, daphne_server, demo):
    # Permission given, but this machine reaches no push service (offline): the person is told, not left.
    kofi = open_devices(chromium, daphne_server, demo, permissions=["notifications"])
    page = kofi.page
    kofi.expected_errors = ("push service",)
    page.get_by_role("button", name="Notify me on this device").click()
    page.get_by_role("status").filter(has_text="could not be set up").wait_for(timeout=TIMEOUT * 3)
    assert page.get_by_role("button", name="Notify me on this device").is_enabled()
    assert PushSubscription.objects.count() == 0
    kofi.context.close()
