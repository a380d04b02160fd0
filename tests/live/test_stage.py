"""The stage's services: start and end, hands, the stage, attendance spans and totals, broadcasts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from circles.models import Circle
from coaching.accounts.models import User
from coaching.lib import realtime
from coaching.lib.errors import ChatError
from coaching.live import stage
from coaching.live.models import Attendance, AttendanceSpan, LiveSession

T0 = dt.datetime(2026, 3, 5, 16, 0, tzinfo=dt.UTC)


class Clock:
    """A settable `timezone.now` for the services under test."""

    def __init__(self) -> None:
        self.now = T0

    def at(self, minutes: float) -> dt.datetime:
        self.now = T0 + dt.timedelta(minutes=minutes)
        return self.now


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    """Refusals are asserted in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def people(demo) -> dict[str, User]:
    return {user.username: user for user in User.objects.all()}


@pytest.fixture
def session(demo, people) -> LiveSession:
    coach = people["diego.coach"]
    return LiveSession.objects.create(
        circle=Circle.objects.get(name="Horizonte"),
        title="Saying no",
        starts_at=T0,
        timezone=coach.timezone,
        created_by=coach,
    )


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    """Every group event the services sent, in order."""
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(realtime, "_send_now", calls.extend)
    return calls


def refused(code: str, call, **kwargs) -> str:
    with pytest.raises(ChatError) as error:
        call(**kwargs)
    assert error.value.code == code
    return error.value.detail


def test_it_totals_attendance_from_a_whole_session(session, people, clock):
    coach, sofia, emma = people["diego.coach"], people["sofia"], people["emma"]
    sid = session.pk
    clock.at(-5)  # the coach waits in the lobby
    stage.join(user=coach, session_id=sid)
    clock.at(0)
    stage.start(user=coach, session_id=sid)
    clock.at(1)
    first, _ = stage.join(user=sofia, session_id=sid)
    clock.at(2)
    stage.raise_hand(user=sofia, session_id=sid)
    clock.at(3)
    stage.invite(user=coach, session_id=sid, target_id=sofia.pk)
    clock.at(10)  # her connection drops; the seat waits
    assert first is not None
    stage.leave(session_id=sid, span_id=first)
    clock.at(12)
    stage.join(user=sofia, session_id=sid)
    clock.at(13)  # a second tab
    second_tab, _ = stage.join(user=sofia, session_id=sid)
    clock.at(20)
    assert second_tab is not None
    stage.leave(session_id=sid, span_id=second_tab)
    clock.at(25)
    stage.leave_stage(user=sofia, session_id=sid)
    clock.at(30)
    stage.end(user=coach, session_id=sid)

    rows = {
        row.user.username: row for row in Attendance.objects.filter(session=session).select_related("user")
    }
    assert set(rows) == {"diego.coach", "sofia", "lucas", "emma", "martina", "nicolas", "olivia", "jorge"}
    diego = rows["diego.coach"]
    assert (diego.joined_at, diego.left_at) == (clock.at(0), clock.at(30))  # the lobby is not counted
    assert (diego.seconds_present, diego.seconds_on_stage, diego.present) == (1800, 1800, True)
    her = rows["sofia"]
    assert (her.joined_at, her.left_at) == (clock.at(1), clock.at(30))
    # In the room 1–10 and 12–30 (the second tab adds nothing): 9 + 18 minutes.
    assert her.seconds_present == 27 * 60
    # On stage 3–25, less the 10–12 gap: 7 + 13 minutes.
    assert her.seconds_on_stage == 20 * 60
    assert her.hands_raised == 1
    assert not rows["emma"].present
    assert rows["emma"].seconds_present == 0
    assert AttendanceSpan.objects.filter(session=session, ended_at__isnull=True).count() == 0
    session.refresh_from_db()
    assert (session.status, session.started_at, session.ended_at) == ("ended", clock.at(0), clock.at(30))
    assert (session.stage, session.hands) == ([], [])
    assert stage.join(user=emma, session_id=sid) == (None, stage.session_state(session_id=sid))


def test_the_state_counts_people_not_tabs_and_not_the_stage(session, people):
    sid = session.pk
    stage.join(user=people["diego.coach"], session_id=sid)
    stage.join(user=people["sofia"], session_id=sid)
    _, state = stage.join(user=people["sofia"], session_id=sid)
    assert state["audience"] == 2
    stage.start(user=people["diego.coach"], session_id=sid)
    assert stage.session_state(session_id=sid) == {
        "type": "session.state",
        "status": "live",
        "stage": [people["diego.coach"].pk],
        "hands": [],
        "audience": 1,
        "stage_limit": 6,
        "version": 4,  # three joins and the start
    }


def test_the_state_is_broadcast_to_the_session_after_commit(
    session, people, sent, django_capture_on_commit_callbacks
):
    sid = session.pk
    stage.join(user=people["diego.coach"], session_id=sid)
    with django_capture_on_commit_callbacks(execute=True):
        stage.start(user=people["diego.coach"], session_id=sid)
        assert sent == []  # nothing leaves before the commit
    [(group, event)] = sent
    assert group == f"live.{sid}"
    assert event["type"] == "session.state"
    assert event["version"] == 2
    assert '"status":"live"' in event["text"]


def test_every_change_of_the_room_has_a_newer_version(session, people):
    coach, sofia = people["diego.coach"], people["sofia"]
    sid = session.pk
    versions = [stage.session_state(session_id=sid)["version"]]
    span, state = stage.join(user=sofia, session_id=sid)
    versions.append(state["version"])
    stage.join(user=coach, session_id=sid)
    stage.start(user=coach, session_id=sid)
    stage.raise_hand(user=sofia, session_id=sid)
    stage.raise_hand(user=sofia, session_id=sid)  # no change, no new version
    versions.append(stage.session_state(session_id=sid)["version"])
    assert span is not None
    left = stage.leave(session_id=sid, span_id=span)
    assert left is not None
    versions.append(left["version"])
    stage.end(user=coach, session_id=sid)
    versions.append(stage.session_state(session_id=sid)["version"])
    assert versions == [0, 1, 4, 5, 6]


def test_leaving_returns_the_state_to_broadcast_once(session, people):
    sid = session.pk
    stage.join(user=people["sofia"], session_id=sid)
    span, _ = stage.join(user=people["lucas"], session_id=sid)
    assert span is not None
    state = stage.leave(session_id=sid, span_id=span)
    assert state is not None
    assert state["audience"] == 1
    assert stage.leave(session_id=sid, span_id=span) is None  # a second close changes nothing


def test_the_stage_limit_comes_from_settings(session, people, settings):
    settings.LIVE_STAGE_LIMIT = 2
    sid = session.pk
    for username in ("diego.coach", "sofia", "lucas"):
        stage.join(user=people[username], session_id=sid)
    stage.start(user=people["diego.coach"], session_id=sid)
    stage.invite(user=people["diego.coach"], session_id=sid, target_id=people["sofia"].pk)
    detail = refused(
        "stage_full", stage.invite, user=people["diego.coach"], session_id=sid, target_id=people["lucas"].pk
    )
    assert detail == "The stage is full (2 people); ask someone to leave it first."
    assert stage.session_state(session_id=sid)["stage_limit"] == 2


def test_starting_twice_changes_nothing_and_an_ended_session_stays_ended(session, people, clock):
    coach = people["diego.coach"]
    clock.at(0)
    stage.start(user=coach, session_id=session.pk)
    clock.at(5)
    stage.start(user=coach, session_id=session.pk)
    session.refresh_from_db()
    assert session.started_at == clock.at(0)
    assert AttendanceSpan.objects.filter(kind="stage").count() == 1
    stage.end(user=coach, session_id=session.pk)
    assert refused("forbidden", stage.start, user=coach, session_id=session.pk) == "This session has ended."
    assert refused("forbidden", stage.end, user=coach, session_id=session.pk) == "The session is not live."


def test_members_cannot_run_the_session(session, people):
    sofia = people["sofia"]
    assert refused("forbidden", stage.start, user=sofia, session_id=session.pk) == (
        "Only the coach can start the session."
    )
    stage.start(user=people["diego.coach"], session_id=session.pk)
    for call in (stage.end, stage.mute_all):
        refused("forbidden", call, user=sofia, session_id=session.pk)
    for call in (stage.invite, stage.remove):
        refused("forbidden", call, user=sofia, session_id=session.pk, target_id=people["lucas"].pk)


def test_signals_need_a_live_stage_at_both_ends(session, people):
    coach, sofia, lucas = people["diego.coach"], people["sofia"], people["lucas"]
    sid = session.pk
    refused("forbidden", stage.check_signal, user=coach, session_id=sid, to=sofia.pk)  # not live yet
    for user in (coach, sofia, lucas):
        stage.join(user=user, session_id=sid)
    stage.start(user=coach, session_id=sid)
    stage.invite(user=coach, session_id=sid, target_id=sofia.pk)
    stage.check_signal(user=coach, session_id=sid, to=sofia.pk)
    stage.check_signal(user=sofia, session_id=sid, to=coach.pk)
    refused("forbidden", stage.check_signal, user=lucas, session_id=sid, to=coach.pk)
    refused("forbidden", stage.check_signal, user=coach, session_id=sid, to=lucas.pk)
    refused("forbidden", stage.check_signal, user=coach, session_id=sid, to=coach.pk)
    refused("not_found", stage.check_signal, user=coach, session_id=sid, to=999_999)


def test_lowering_a_hand_that_is_not_up_changes_nothing(
    session, people, sent, django_capture_on_commit_callbacks
):
    stage.start(user=people["diego.coach"], session_id=session.pk)
    with django_capture_on_commit_callbacks(execute=True):
        stage.lower_hand(user=people["sofia"], session_id=session.pk)
    assert sent == []


# ---------------------------------------------------------------- the page


def test_the_page_shows_the_lobby_in_the_readers_zone(session, people, client):
    client.force_login(people["sofia"])  # New York: 16:00 UTC on 5 March is 11:00 there
    response = client.get(f"/sessions/{session.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Saying no" in page
    assert "Thursday 5 March 2026, 11:00" in page
    assert "America/New_York" in page
    assert "Waiting for the coach to start." in page
    assert 'id="session-start"' not in page  # only the coach starts
    assert f'"socketPath": "/ws/sessions/{session.pk}/"' in page  # the chat joins the session room
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_coach_sees_the_start_button(session, people, client):
    client.force_login(people["diego.coach"])
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'id="session-start"' in page
    assert 'id="session-end"' in page


@pytest.mark.parametrize("username", ["grace", "lucia.coach", "ana.admin"])
def test_people_outside_the_circle_get_404(session, people, client, username):
    client.force_login(people[username])
    assert client.get(f"/sessions/{session.pk}/").status_code == 404
    assert client.get("/sessions/999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(session, client):
    response = client.get(f"/sessions/{session.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
