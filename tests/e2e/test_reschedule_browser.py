"""Lucía moves a Puentes session to a suggested slot from its Edit link; Camila is told and sees the new
time in Bogotá; then Lucía cancels it after confirming, and it leaves both their lists."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.pages import TIMEOUT, Person

pytestmark = [pytest.mark.browser]
DESKTOP = {"width": 1200, "height": 900}


@pytest.fixture
def people(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Any:
    from circles.models import Circle
    from coaching.accounts.models import User
    from coaching.live.scheduling import schedule_session

    circle = Circle.objects.get(name="Puentes")
    lucia_user = User.objects.get(username="lucia.coach")
    # Two weeks ahead: every suggested slot (the next 7 days) is another time.
    start = (dt.datetime.now(lucia_user.zone) + dt.timedelta(days=14)).replace(
        hour=18, minute=0, second=0, microsecond=0, tzinfo=None
    )
    (session,) = schedule_session(
        coach=lucia_user, circle=circle, title="Círculo semanal", local_start=start, duration_minutes=60
    )
    people = [
        Person(
            chromium, daphne_server, name, demo["password"], locale="es-ES", viewport=DESKTOP, timeout=TIMEOUT
        )
        for name in ("lucia.coach", "camila")
    ]
    yield (*people, circle.pk, session)
    for person in people:
        person.context.close()
    assert people[0].errors + people[1].errors == []


def test_the_coach_moves_a_session_then_cancels_it(people):
    from coaching.live.models import LiveSession

    lucia, camila, circle_id, session = people
    lucia.go(f"/circles/{circle_id}/")
    item = lucia.page.locator(f"#circle-sessions [data-session-id='{session.pk}']")
    item.locator(".session-edit").click()
    lucia.page.wait_for_url(f"{lucia.base_url}/sessions/{session.pk}/edit/")
    assert lucia.page.input_value("#id_title") == "Círculo semanal"
    assert lucia.page.input_value("#id_time") == "18:00"  # her Madrid clock

    slot = lucia.page.locator(".slot-pick").first
    slot.click()
    picked_date, picked_time = slot.get_attribute("data-date"), slot.get_attribute("data-time")
    lucia.page.click("#schedule-form button[type=submit]")
    lucia.page.wait_for_url(f"{lucia.base_url}/circles/{circle_id}/")

    session.refresh_from_db()
    madrid, bogota = ZoneInfo("Europe/Madrid"), ZoneInfo("America/Bogota")
    assert session.starts_at.astimezone(madrid).strftime("%Y-%m-%d %H:%M") == f"{picked_date} {picked_time}"
    assert picked_time in item.locator(".session-start").inner_text()

    camila.go("/")
    assert "«Círculo semanal» en Puentes pasa a" in camila.page.inner_text("#home-notifications")
    mine = camila.page.locator(f"#upcoming-sessions [data-session-id='{session.pk}']")
    assert (
        session.starts_at.astimezone(bogota).strftime("%H:%M") in mine.locator(".session-start").inner_text()
    )

    lucia.page.locator(f"#circle-sessions [data-session-id='{session.pk}'] .session-cancel").click()
    lucia.page.wait_for_url(f"{lucia.base_url}/sessions/{session.pk}/cancel/")
    lucia.page.fill("#id_reason", "Estoy enferma")
    lucia.page.click("#cancel-form button[type=submit]")
    lucia.page.wait_for_url(f"{lucia.base_url}/circles/{circle_id}/")
    assert lucia.page.locator(f"#circle-sessions [data-session-id='{session.pk}']").count() == 0
    session.refresh_from_db()
    assert session.status == LiveSession.Status.CANCELLED

    camila.go("/")
    assert "se cancela" in camila.page.inner_text("#home-notifications")
    assert camila.page.locator(f"#upcoming-sessions [data-session-id='{session.pk}']").count() == 0
