"""Lucía (Madrid) manages Puentes sessions in the browser and Camila (Bogotá) sees each change: an edit of
title, time and length; a move of the rest of a weekly series; a cancel with a reason, heard live on the
open session page; and a booking over Camila's session in another circle, warned and then confirmed."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.pages import TIMEOUT, Person

pytestmark = [pytest.mark.browser]
DESKTOP = {"width": 1200, "height": 900}
MADRID, BOGOTA = ZoneInfo("Europe/Madrid"), ZoneInfo("America/Bogota")


def two_weeks_ahead(hour: int = 18) -> dt.datetime:
    """A Madrid wall-clock time two weeks ahead: every suggested slot (the next 7 days) is another time."""
    return (dt.datetime.now(MADRID) + dt.timedelta(days=14)).replace(
        hour=hour, minute=0, second=0, microsecond=0, tzinfo=None
    )


@pytest.fixture
def world(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Any:
    from circles.models import Circle
    from coaching.accounts.models import User

    people = {
        name: Person(
            chromium, daphne_server, name, demo["password"], locale="es-ES", viewport=DESKTOP, timeout=TIMEOUT
        )
        for name in ("lucia.coach", "camila")
    }
    circle = Circle.objects.get(name="Puentes")
    yield people["lucia.coach"], people["camila"], circle, User.objects.get(username="lucia.coach")
    for person in people.values():
        person.context.close()
    assert people["lucia.coach"].errors + people["camila"].errors == []


def schedule(coach: Any, circle: Any, start: dt.datetime, weeks: int = 1) -> list[Any]:
    from coaching.live.scheduling import schedule_session

    return schedule_session(
        coach=coach,
        circle=circle,
        title="Círculo semanal",
        local_start=start,
        duration_minutes=60,
        weeks=weeks,
    )


def test_the_coach_edits_the_title_time_and_length_and_the_member_sees_them(world):
    lucia, camila, circle, lucia_user = world
    (session,) = schedule(lucia_user, circle, two_weeks_ahead())
    lucia.go(f"/circles/{circle.pk}/")
    item = lucia.page.locator(f"#circle-sessions [data-session-id='{session.pk}']")
    item.locator(".session-edit").click()
    lucia.page.wait_for_url(f"{lucia.base_url}/sessions/{session.pk}/edit/")
    assert lucia.page.input_value("#id_time") == "18:00"  # her Madrid clock
    assert lucia.page.locator("input[name=scope]").count() == 0  # a single session: nothing to choose
    slot = lucia.page.locator(".slot-pick").first
    slot.click()
    picked_date, picked_time = slot.get_attribute("data-date"), slot.get_attribute("data-time")
    lucia.page.fill("#id_title", "Círculo de cierre")
    lucia.page.fill("#id_duration_minutes", "45")
    lucia.page.click("#schedule-form button[type=submit]")
    lucia.page.wait_for_url(f"{lucia.base_url}/circles/{circle.pk}/")

    session.refresh_from_db()
    assert session.starts_at.astimezone(MADRID).strftime("%Y-%m-%d %H:%M") == f"{picked_date} {picked_time}"
    assert (session.title, session.duration_minutes, session.revision) == ("Círculo de cierre", 45, 1)
    assert "Círculo de cierre" in item.inner_text()
    assert picked_time in item.locator(".session-start").inner_text()
    assert "45 minutos" in item.inner_text()

    camila.go("/")
    assert "«Círculo de cierre» en Puentes pasa a" in camila.page.inner_text("#home-notifications")
    mine = camila.page.locator(f"#upcoming-sessions [data-session-id='{session.pk}']")
    bogota_time = session.starts_at.astimezone(BOGOTA).strftime("%H:%M")
    assert bogota_time in mine.locator(".session-start").inner_text()


def test_the_coach_moves_the_rest_of_a_weekly_series_and_the_member_sees_it_in_her_zone(world):
    lucia, camila, circle, lucia_user = world
    series = schedule(lucia_user, circle, two_weeks_ahead(), weeks=3)
    lucia.go(f"/sessions/{series[1].pk}/edit/")
    lucia.page.check("input[name=scope][value=following]")
    lucia.page.fill("#id_time", "20:30")
    lucia.page.click("#schedule-form button[type=submit]")
    lucia.page.wait_for_url(f"{lucia.base_url}/circles/{circle.pk}/")

    for session in series:
        session.refresh_from_db()
    assert [s.starts_at.astimezone(MADRID).strftime("%H:%M") for s in series] == ["18:00", "20:30", "20:30"]
    camila.go(f"/circles/{circle.pk}/")
    for session in series:
        shown = camila.page.locator(f"#circle-sessions [data-session-id='{session.pk}'] .session-start")
        assert session.starts_at.astimezone(BOGOTA).strftime("%H:%M") in shown.inner_text()


def test_the_coach_cancels_with_a_reason_and_the_open_session_page_hears_it(world):
    lucia, camila, circle, lucia_user = world
    (session,) = schedule(lucia_user, circle, two_weeks_ahead())
    camila.go(f"/sessions/{session.pk}/")
    camila.page.wait_for_selector("#session-status[data-state=connected]")

    lucia.go(f"/sessions/{session.pk}/cancel/")
    lucia.page.fill("#id_reason", "Estoy enferma, nos vemos la semana que viene")
    lucia.page.click("#cancel-form button[type=submit]")
    lucia.page.wait_for_url(f"{lucia.base_url}/circles/{circle.pk}/")
    assert lucia.page.locator(f"#circle-sessions [data-session-id='{session.pk}']").count() == 0

    camila.page.wait_for_selector("#session[data-status=cancelled]")  # live, without reloading
    camila.page.reload()
    assert "Estoy enferma, nos vemos la semana que viene" in camila.page.inner_text("#session-cancelled")
    # Leave only once the page's sockets are up: a socket closed while still joining races daphne's shutdown.
    camila.page.wait_for_selector("#session-status[data-state=connected]")
    camila.go("/")
    assert "se cancela" in camila.page.inner_text("#home-notifications")
    # daphne's shutdown hangs on a request still in flight (its sync thread waits on a stopped event loop).
    camila.page.wait_for_load_state("networkidle")


def test_booking_over_a_members_other_session_warns_naming_her_and_confirming_books_it(world):
    from circles import services as circle_services
    from circles.models import Circle
    from coaching.accounts.models import User
    from coaching.live.models import LiveSession

    lucia, _camila, circle, _lucia_user = world
    # Camila also sits in Harambee, which meets exactly when Lucía is about to book Puentes.
    harambee = Circle.objects.get(name="Harambee")
    harambee.programme.allow_several_circles = True
    harambee.programme.save(update_fields=["allow_several_circles"])
    admin, amani = User.objects.get(username="ana.admin"), User.objects.get(username="amani.coach")
    circle_services.assign_member(actor=admin, circle=harambee, member=User.objects.get(username="camila"))
    start = two_weeks_ahead(hour=17)
    nairobi = start.replace(tzinfo=MADRID).astimezone(amani.zone).replace(tzinfo=None)
    schedule(amani, harambee, nairobi)

    lucia.go(f"/circles/{circle.pk}/sessions/new/")
    lucia.page.fill("#id_title", "Sesión extra")
    lucia.page.fill("#id_date", start.strftime("%Y-%m-%d"))
    lucia.page.fill("#id_time", "17:00")
    lucia.page.fill("#id_duration_minutes", "60")
    lucia.page.click("#schedule-form button[type=submit]")
    warning = lucia.page.wait_for_selector("#clash-warning")
    text = warning.inner_text()
    assert "Camila Rojas" in text
    assert "17:00" in text
    assert "Harambee" not in lucia.page.content()  # where Camila is then is not Lucía's business
    assert not LiveSession.objects.filter(circle=circle, title="Sesión extra").exists()

    lucia.page.click("#confirm-clashes")
    lucia.page.wait_for_url(f"{lucia.base_url}/circles/{circle.pk}/")
    booked = LiveSession.objects.get(circle=circle, title="Sesión extra")
    assert lucia.page.locator(f"#circle-sessions [data-session-id='{booked.pk}']").count() == 1
