"""Lucía schedules a weekly Puentes session from a suggested slot; Camila sees it in Bogotá time and downloads
its .ics; after the session Lucía writes the log with a commitment for Camila, who marks it done."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.e2e.pages import TIMEOUT, Person

pytestmark = [pytest.mark.browser]
DESKTOP = {"width": 1200, "height": 900}


def spanish_reader(chromium: Any, base_url: str, username: str, password: str) -> Person:
    """A demo person whose browser asks for Spanish."""
    return Person(chromium, base_url, username, password, locale="es-ES", viewport=DESKTOP, timeout=TIMEOUT)


@pytest.fixture
def people(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Any:
    circle = next(c for c in demo["circles"] if c["name"] == "Puentes")
    lucia = spanish_reader(chromium, daphne_server, "lucia.coach", demo["password"])
    camila = spanish_reader(chromium, daphne_server, "camila", demo["password"])
    yield lucia, camila, circle["id"]
    for person in (lucia, camila):
        person.context.close()
    assert lucia.errors + camila.errors == []


def test_a_weekly_session_goes_from_a_suggested_slot_to_a_commitment_done(people):
    from coaching.accounts.models import User
    from coaching.live.models import Commitment, LiveSession
    from coaching.live.reminders import send_due_reminders

    lucia, camila, circle_id = people

    # Lucía picks the first suggested slot; it fills the date and time of the form, in her zone.
    lucia.go(f"/circles/{circle_id}/sessions/new/")
    assert "Madrid (España)" in lucia.page.inner_text("#schedule-zone")
    first_slot = lucia.page.locator(".slot-pick").first
    assert lucia.page.locator(".slot-pick").count() == 5
    assert "a todos les va bien" in lucia.page.locator(".slot").first.inner_text()  # Lucía reads Spanish
    first_slot.click()
    picked_date, picked_time = first_slot.get_attribute("data-date"), first_slot.get_attribute("data-time")
    assert lucia.page.input_value("#id_date") == picked_date
    assert lucia.page.input_value("#id_time") == picked_time
    assert first_slot.get_attribute("aria-pressed") == "true"
    lucia.page.fill("#id_title", "Círculo semanal")
    lucia.page.fill("#id_agenda", "Revisar compromisos")
    lucia.page.fill("#id_weeks", "2")
    lucia.shot("schedule-coach.png", full_page=True)
    lucia.page.click("#schedule-form button[type=submit]")
    lucia.page.wait_for_url(f"{lucia.base_url}/circles/{circle_id}/")
    assert lucia.page.locator("#circle-sessions .session-item").count() == 2

    first, second = LiveSession.objects.order_by("starts_at")
    madrid, bogota = ZoneInfo("Europe/Madrid"), ZoneInfo("America/Bogota")
    assert first.starts_at.astimezone(madrid).strftime("%Y-%m-%d %H:%M") == f"{picked_date} {picked_time}"
    assert second.starts_at - first.starts_at in {dt.timedelta(days=7), dt.timedelta(days=7, hours=1)}
    lucia_first = lucia.page.locator(
        f"#circle-sessions [data-session-id='{first.pk}'] .session-start"
    ).inner_text()
    assert picked_time in lucia_first
    lucia.shot("schedule-circle-coach.png", full_page=True)

    # Camila gets the day-before reminder, sees both sessions on her home page at Bogotá time, and
    # downloads the first one's .ics.
    send_due_reminders(now=first.starts_at - dt.timedelta(hours=20))
    camila.go("/")
    assert "Círculo semanal" in camila.page.inner_text("#home-notifications")
    item = camila.page.locator(f"#upcoming-sessions [data-session-id='{first.pk}']")
    assert first.starts_at.astimezone(bogota).strftime("%H:%M") in item.locator(".session-start").inner_text()
    assert "Bogotá (Colombia)" in item.inner_text()
    assert camila.page.locator("#upcoming-sessions .session-item").count() == 2
    camila.shot("schedule-home-member.png", full_page=True)
    with camila.page.expect_download() as download_info:
        item.locator(".session-ics").click()
    download = download_info.value
    assert download.suggested_filename == f"circles-session-{first.pk}.ics"
    (event,) = Calendar.from_ical(Path(download.path()).read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == first.starts_at
    assert str(event.decoded("dtstart").tzinfo) == "Europe/Madrid"
    response = camila.context.request.get(f"{camila.base_url}/sessions/{first.pk}/calendar.ics")
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "Círculo semanal · Puentes" in response.text()

    # Her profile gives her a private feed URL for her calendar app.
    camila.go("/accounts/profile/")
    camila.page.click("#calendar-renew")
    feed_url = camila.page.input_value("#calendar-feed-url")
    assert feed_url.startswith(f"{camila.base_url}/calendar/")
    camila.page.locator("#calendar-feed").scroll_into_view_if_needed()
    camila.shot("profile-calendar-member.png", full_page=True)
    feed = camila.context.request.get(feed_url)
    assert feed.headers["cache-control"] == "private, max-age=300"
    assert len(Calendar.from_ical(feed.body()).walk("VEVENT")) == 2

    # The session happens (the room marks it ended), then Lucía writes its log.
    LiveSession.objects.filter(pk=first.pk).update(
        status=LiveSession.Status.ENDED,
        started_at=first.starts_at,
        ended_at=first.starts_at + dt.timedelta(minutes=first.duration_minutes),
    )
    lucia.go(f"/circles/{circle_id}/")
    lucia.page.click(f"#circle-sessions .session-logs [data-session-id='{first.pk}'] a")
    lucia.page.wait_for_url(f"{lucia.base_url}/sessions/{first.pk}/log/")
    lucia.page.fill("#id_notes", "**Buena sesión.** @camila abre la próxima.\n\n<script>alert(1)</script>")
    lucia.page.click("#log-notes button[type=submit]")
    lucia.page.wait_for_selector("#log-notes-html strong")
    assert lucia.page.inner_text("#log-notes-html strong") == "Buena sesión."
    assert lucia.page.locator("#log-notes-html script").count() == 0

    camila_row = lucia.page.locator("#log-attendance tr[data-person=camila]")
    camila_row.locator("input[name=present][value='1']").check()
    camila_row.locator("input[name=note]").fill("se unió por teléfono")
    camila_row.locator("button[type=submit]").click()
    lucia.page.wait_for_selector(
        "#log-attendance tr[data-person=camila] .attendance-status:has-text('teléfono')"
    )

    camila_id = str(User.objects.get(username="camila").pk)
    row = lucia.page.eval_on_selector_all(
        "#commitments-form select", f"selects => selects.findIndex(s => s.value === '{camila_id}')"
    )
    due = (first.starts_at.astimezone(madrid) + dt.timedelta(days=6)).date()
    lucia.page.fill(f"input[name=c-{row}-text]", "Pedir feedback a su jefa")
    lucia.page.fill(f"input[name=c-{row}-due_on]", due.isoformat())
    lucia.page.click("#commitments-form button[type=submit]")
    lucia.page.wait_for_selector("#log-commitments .commitments-list li:has-text('Pedir feedback a su jefa')")
    lucia.shot("session-log-coach.png", full_page=True)
    commitment = Commitment.objects.get()
    assert (commitment.member.username, commitment.due_on, commitment.session_id) == ("camila", due, first.pk)

    # Camila sees the commitment and marks it done.
    camila.go("/")
    assert "Pedir feedback a su jefa" in camila.page.inner_text("#my-commitments")
    camila.go("/commitments/")
    entry = camila.page.locator(f"[data-commitment-id='{commitment.pk}']")
    camila.shot("commitments-member-open.png", full_page=True)
    entry.locator("input[name=status][value=done]").check()
    entry.locator("input[name=note]").fill("Hablamos el lunes")
    entry.locator("button[type=submit]").click()
    camila.page.wait_for_selector(f"[data-commitment-id='{commitment.pk}'][data-status=done]")
    assert "Hablamos el lunes" in camila.page.inner_text(f"[data-commitment-id='{commitment.pk}']")
    camila.shot("commitments-member.png", full_page=True)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.close_note) == ("done", "Hablamos el lunes")
