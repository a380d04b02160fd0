"""iCalendar output: one session as an .ics file, and a person's private feed of their circles' sessions."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vText

from coaching.accounts.models import User
from coaching.live.models import LiveSession


def calendar_token(*, user: User, renew: bool = False) -> str:
    """The person's feed secret, created on first use; `renew` replaces it (the old URL stops working)."""
    if user.calendar_token is None or renew:
        user.calendar_token = secrets.token_urlsafe(32)
        user.save(update_fields=["calendar_token"])
    return user.calendar_token


def _event(session: LiveSession, *, base_url: str) -> Event:
    zone = ZoneInfo(session.timezone)
    event = Event()
    event.add("uid", f"session-{session.pk}@circles")
    event.add("summary", f"{session.title} · {session.circle.name}")
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", (session.starts_at + dt.timedelta(minutes=session.duration_minutes)).astimezone(zone))
    event.add("dtstamp", session.created_at)
    event.add("sequence", session.revision)
    event.add("url", f"{base_url}/sessions/{session.pk}/")
    if session.agenda:
        event.add("description", session.agenda)
    if session.status == LiveSession.Status.ENDED:
        event.add("status", "CONFIRMED")
    if session.status == LiveSession.Status.CANCELLED:
        # Kept in the feed, marked: calendar apps that had the event take it off (or strike it through).
        event.add("status", "CANCELLED")
    return event


def _calendar(sessions: Iterable[LiveSession], *, name: str, base_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Circles//Live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", vText(name))  # an X- property is not escaped as text unless we say so
    for session in sessions:
        calendar.add_component(_event(session, base_url=base_url))
    calendar.add_missing_timezones()  # a VTIMEZONE for every TZID used, so any calendar app gets DST right
    return bytes(calendar.to_ical())


def session_ics(session: LiveSession, *, base_url: str) -> bytes:
    """One session as an .ics file, its times in the session's zone."""
    return _calendar([session], name=session.title, base_url=base_url)


def feed_ics(sessions: Iterable[LiveSession], *, base_url: str) -> bytes:
    """A person's feed: the sessions of their circles."""
    return _calendar(sessions, name=_("Circles sessions"), base_url=base_url)
