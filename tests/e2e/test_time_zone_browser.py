"""Kofi moves from Accra to Auckland and says so on his profile in Chromium: his next session is then shown at
Auckland's time and date, and his circle sees his clock in the new zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.pages import TIMEOUT, Person

pytestmark = [pytest.mark.browser]
NAIROBI, ACCRA, AUCKLAND = ZoneInfo("Africa/Nairobi"), ZoneInfo("Africa/Accra"), ZoneInfo("Pacific/Auckland")


def shown(moment: dt.datetime, zone: ZoneInfo) -> str:
    """A session's start as the English pages write it ("D j M Y, H:i"), on that zone's clock."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} {local.year}, {local:%H:%M}"


def test_a_new_time_zone_moves_the_times_a_member_sees(
    chromium: Any, daphne_server: str, demo: dict[str, Any]
) -> None:
    from circles.models import Circle
    from coaching.accounts.models import User
    from coaching.live.scheduling import schedule_session

    harambee = Circle.objects.get(name="Harambee")
    # 16:00 in Nairobi two weeks ahead: 13:00 in Accra, and 02:00 or 01:00 the next day in Auckland.
    start = (dt.datetime.now(NAIROBI) + dt.timedelta(days=14)).replace(
        hour=16, minute=0, second=0, microsecond=0, tzinfo=None
    )
    (session,) = schedule_session(
        coach=User.objects.get(username="amani.coach"),
        circle=harambee,
        title="Weekly circle",
        local_start=start,
    )
    assert shown(session.starts_at, ACCRA).split(", ")[0] != shown(session.starts_at, AUCKLAND).split(", ")[0]

    kofi = Person(chromium, daphne_server, "kofi", demo["password"], timeout=TIMEOUT)
    upcoming = kofi.page.locator(f"#upcoming-sessions [data-session-id='{session.pk}']")
    assert upcoming.locator(".session-start").inner_text() == shown(session.starts_at, ACCRA)
    assert "Accra (Ghana)" in upcoming.inner_text()

    kofi.go("/accounts/profile/")
    kofi.page.select_option("#id_timezone", "Pacific/Auckland")
    kofi.page.click("form.form button[type=submit]")
    kofi.page.locator(".messages", has_text="Your profile is saved.").wait_for()
    assert kofi.page.input_value("#id_timezone") == "Pacific/Auckland"

    kofi.go("/")
    assert upcoming.locator(".session-start").inner_text() == shown(session.starts_at, AUCKLAND)
    assert "Auckland (New Zealand)" in upcoming.inner_text()
    kofi.go(f"/circles/{harambee.pk}/")
    item = kofi.page.locator(f"#circle-sessions [data-session-id='{session.pk}']")
    assert item.locator(".session-start").inner_text() == shown(session.starts_at, AUCKLAND)
    assert kofi.page.locator("li[data-person=kofi] .clock").get_attribute("title") == "Auckland (New Zealand)"
    assert kofi.errors == []
