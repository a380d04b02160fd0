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
        "media": "mesh",
        "viewers": [people["sofia"].pk],
        "devices": {},
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
    # Lucas is in the audience and receives the stage (a viewer): he and the stage may signal each other.
    stage.check_signal(user=lucas, session_id=sid, to=coach.pk)
    stage.check_signal(user=coach, session_id=sid, to=lucas.pk)
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
    assert "New York (United States)" in page
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


# ---------------------------------------------------------------- media: viewers, devices, coach controls


def test_the_first_viewers_by_arrival_receive_the_stage_in_a_mesh(session, people, clock, settings):
    settings.LIVE_MESH_VIEWERS = 2
    coach, sofia, lucas, emma = (people[name] for name in ("diego.coach", "sofia", "lucas", "emma"))
    sid = session.pk
    clock.at(0)
    stage.join(user=coach, session_id=sid)
    stage.start(user=coach, session_id=sid)
    clock.at(1)
    lucas_first, _ = stage.join(user=lucas, session_id=sid)
    clock.at(2)
    stage.join(user=sofia, session_id=sid)
    clock.at(3)
    stage.join(user=lucas, session_id=sid)  # a second tab keeps his place; it is not a second viewer
    clock.at(4)
    stage.join(user=emma, session_id=sid)
    state = stage.session_state(session_id=sid)
    assert (state["media"], state["viewers"], state["audience"]) == ("mesh", [lucas.pk, sofia.pk], 3)
    # Emma is beyond the limit: no signals to or from her, in either direction.
    refused("forbidden", stage.check_signal, user=emma, session_id=sid, to=coach.pk)
    refused("forbidden", stage.check_signal, user=coach, session_id=sid, to=emma.pk)
    # Viewers signal the stage only, never each other.
    refused("forbidden", stage.check_signal, user=lucas, session_id=sid, to=sofia.pk)
    refused("forbidden", stage.check_signal, user=lucas, session_id=sid, to=lucas.pk)
    refused("not_found", stage.check_signal, user=lucas, session_id=sid, to=999_999)

    # Sofía goes on stage: the next in line, Emma, becomes a viewer.
    stage.invite(user=coach, session_id=sid, target_id=sofia.pk)
    assert stage.session_state(session_id=sid)["viewers"] == [lucas.pk, emma.pk]
    stage.check_signal(user=emma, session_id=sid, to=sofia.pk)
    stage.check_signal(user=sofia, session_id=sid, to=emma.pk)
    # Lucas's first tab closes; his second still counts from minute 3, still before Emma.
    assert lucas_first is not None
    stage.leave(session_id=sid, span_id=lucas_first)
    assert stage.session_state(session_id=sid)["viewers"] == [lucas.pk, emma.pk]


def test_with_the_sfu_everyone_receives_and_only_the_stage_signals(session, people, settings):
    settings.JANUS_URL = "http://127.0.0.1:8088/janus"
    coach, sofia = people["diego.coach"], people["sofia"]
    sid = session.pk
    stage.join(user=coach, session_id=sid)
    stage.join(user=sofia, session_id=sid)
    stage.start(user=coach, session_id=sid)
    state = stage.session_state(session_id=sid)
    assert (state["media"], state["viewers"]) == ("sfu", None)
    refused("forbidden", stage.check_signal, user=sofia, session_id=sid, to=coach.pk)
    refused("forbidden", stage.check_signal, user=coach, session_id=sid, to=sofia.pk)


def test_stage_members_report_their_devices_and_lose_them_off_stage(session, people):
    coach, sofia, lucas = people["diego.coach"], people["sofia"], people["lucas"]
    sid = session.pk
    for user in (coach, sofia, lucas):
        stage.join(user=user, session_id=sid)
    refused(
        "forbidden", stage.report_devices, user=coach, session_id=sid, mic=True, camera=True, screen=False
    )
    stage.start(user=coach, session_id=sid)
    stage.invite(user=coach, session_id=sid, target_id=sofia.pk)
    stage.report_devices(user=sofia, session_id=sid, mic=False, camera=True, screen=False)
    stage.report_devices(user=coach, session_id=sid, mic=True, camera=True, screen=True)
    version = stage.session_state(session_id=sid)["version"]
    stage.report_devices(user=coach, session_id=sid, mic=True, camera=True, screen=True)  # the same again
    state = stage.session_state(session_id=sid)
    assert state["version"] == version
    assert state["devices"] == {
        str(sofia.pk): {"mic": False, "camera": True, "screen": False},
        str(coach.pk): {"mic": True, "camera": True, "screen": True},
    }
    detail = refused(
        "forbidden", stage.report_devices, user=lucas, session_id=sid, mic=True, camera=True, screen=False
    )
    assert detail == "You are not on stage."
    stage.leave_stage(user=sofia, session_id=sid)
    assert list(stage.session_state(session_id=sid)["devices"]) == [str(coach.pk)]
    stage.invite(user=coach, session_id=sid, target_id=lucas.pk)
    stage.report_devices(user=lucas, session_id=sid, mic=False, camera=False, screen=False)
    stage.remove(user=coach, session_id=sid, target_id=lucas.pk)
    assert list(stage.session_state(session_id=sid)["devices"]) == [str(coach.pk)]
    stage.end(user=coach, session_id=sid)
    assert stage.session_state(session_id=sid)["devices"] == {}


def test_the_coach_lowers_every_hand(session, people, sent, django_capture_on_commit_callbacks):
    coach, sofia, lucas = people["diego.coach"], people["sofia"], people["lucas"]
    sid = session.pk
    refused("forbidden", stage.lower_all_hands, user=coach, session_id=sid)  # not live
    stage.start(user=coach, session_id=sid)
    for user in (sofia, lucas):
        stage.join(user=user, session_id=sid)
        stage.raise_hand(user=user, session_id=sid)
    detail = refused("forbidden", stage.lower_all_hands, user=sofia, session_id=sid)
    assert detail == "Only the coach can lower everyone's hand."
    assert stage.session_state(session_id=sid)["hands"] == [sofia.pk, lucas.pk]
    with django_capture_on_commit_callbacks(execute=True):
        stage.lower_all_hands(user=coach, session_id=sid)
    [(group, event)] = sent
    assert (group, event["type"]) == (f"live.{sid}", "session.state")
    assert stage.session_state(session_id=sid)["hands"] == []
    assert Attendance.objects.get(session=session, user=sofia).hands_raised == 1  # what was raised counts


def test_the_coach_asks_one_stage_member_to_mute(session, people, sent, django_capture_on_commit_callbacks):
    coach, sofia, lucas = people["diego.coach"], people["sofia"], people["lucas"]
    sid = session.pk
    refused("forbidden", stage.mute_member, user=coach, session_id=sid, target_id=sofia.pk)  # not live
    for user in (coach, sofia, lucas):
        stage.join(user=user, session_id=sid)
    stage.start(user=coach, session_id=sid)
    stage.invite(user=coach, session_id=sid, target_id=sofia.pk)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stage.mute_member(user=coach, session_id=sid, target_id=sofia.pk)
    # Only Sofía's sockets in this session hear it.
    [(group, event)] = sent
    assert group == f"live.{sid}.user.{sofia.pk}"
    assert event["text"] == f'{{"type":"mute","by":{coach.pk},"user":{sofia.pk}}}'
    sent.clear()
    assert refused("forbidden", stage.mute_member, user=sofia, session_id=sid, target_id=coach.pk) == (
        "Only the coach can mute someone."
    )
    assert refused("forbidden", stage.mute_member, user=coach, session_id=sid, target_id=lucas.pk) == (
        "That person is not on stage."
    )
    refused("not_found", stage.mute_member, user=coach, session_id=sid, target_id=people["grace"].pk)
    refused("not_found", stage.mute_member, user=coach, session_id=sid, target_id=999_999)
    assert sent == []


def test_a_cancelled_session_tells_its_open_pages(session, people, sent, django_capture_on_commit_callbacks):
    from coaching.live.scheduling import cancel_session

    session.starts_at = timezone.now() + dt.timedelta(days=1)
    session.save(update_fields=["starts_at"])
    stage.join(user=people["sofia"], session_id=session.pk)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_session(coach=people["diego.coach"], session=session, reason="Diego is ill")
    [state] = [event for group, event in sent if group == f"live.{session.pk}"]
    assert '"status":"cancelled"' in state["text"]
    refused("forbidden", stage.start, user=people["diego.coach"], session_id=session.pk)
