"""A live session's room over WebSocket: every session frame, its errors, signalling rules and reconnects."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from chat.models import Message
from circles import services as circles_services
from circles.models import Circle
from coaching.accounts.models import User
from coaching.lib import realtime
from coaching.live import stage
from coaching.live.consumers import SESSION_PARSERS
from coaching.live.models import Attendance, LiveSession
from tests.chat.conftest import new_id, rooms

pytestmark = pytest.mark.django_db(transaction=True)

CHATTER = {"presence", "typing", "session.state", "rtc.config"}


@pytest.fixture
def horizonte(demo) -> dict[str, Any]:
    """Horizonte (Diego and seven members) with a session starting in ten minutes; ids by username."""
    circle = demo["circles"][2]
    assert circle["name"] == "Horizonte"
    coach = User.objects.get(username="diego.coach")
    session = LiveSession.objects.create(
        circle=Circle.objects.get(pk=circle["id"]),
        title="Feedback that lands",
        starts_at=timezone.now() + dt.timedelta(minutes=10),
        timezone=coach.timezone,
        created_by=coach,
    )
    people = [coach.username, *circle["members"]]
    return {
        "session": session.pk,
        "path": f"/ws/sessions/{session.pk}/",
        "circle_path": f"/ws/circles/{circle['id']}/",
        "ids": dict(User.objects.filter(username__in=people).values_list("username", "pk")),
    }


async def next_frame(socket: WebsocketCommunicator, kind: str, *, timeout: float = 2) -> dict[str, Any]:
    """The next frame of that type, skipping presence, typing and state updates."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame
        assert frame["type"] in CHATTER, frame


async def state_where(socket: WebsocketCommunicator, check, *, timeout: float = 2) -> dict[str, Any]:
    """The first `session.state` that passes `check` (earlier ones are older snapshots)."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == "session.state" and check(frame):
            return frame
        assert frame["type"] in CHATTER, frame


async def signals_heard(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    """The `rtc.signal` frames among everything waiting on the socket now."""
    frames = []
    while not await socket.receive_nothing(timeout=0.3):
        frames.append(await socket.receive_json_from())
    return [frame for frame in frames if frame["type"] == "rtc.signal"]


async def refused(path: str, user) -> int:
    socket = WebsocketCommunicator(rooms, path)
    socket.scope["user"] = user
    connected, _ = await socket.connect()
    assert connected
    output = await socket.receive_output(timeout=2)
    assert output["type"] == "websocket.close", output  # no frame before the close
    await socket.disconnect()
    return int(output["code"])


async def error_for(socket: WebsocketCommunicator, frame: dict[str, Any]) -> dict[str, Any]:
    await socket.send_json_to(frame)
    error = await next_frame(socket, "error")
    assert error["detail"], error
    return error


@pytest.fixture
def enter(join, horizonte):
    """Open a socket to the session as a person; returns it once it has its state and ICE servers."""

    async def _enter(username: str) -> tuple[WebsocketCommunicator, dict[str, Any]]:
        socket, _ = await join(username, horizonte["path"])
        state = await socket.receive_json_from()
        assert state["type"] == "session.state", state
        assert (await socket.receive_json_from())["type"] == "rtc.config"
        return socket, state

    return _enter


@pytest.fixture
async def live(enter):
    """The coach and two members in the room, the session started by the coach."""
    coach, _ = await enter("diego.coach")
    sofia, _ = await enter("sofia")
    lucas, _ = await enter("lucas")
    await coach.send_json_to({"type": "session.start"})
    for socket in (coach, sofia, lucas):
        await state_where(socket, lambda s: s["status"] == "live")
    return coach, sofia, lucas


async def test_joining_sends_hello_then_the_state_then_the_ice_servers(join, horizonte, settings):
    settings.LIVE_ICE_SERVERS = [
        {"urls": ["stun:stun.example.org:3478"]},
        {"urls": ["turn:turn.example.org:3478"], "username": "circles", "credential": "s3cret"},
    ]
    sofia, hello = await join("sofia", horizonte["path"])
    assert hello["room"] == horizonte["circle_path"].replace("/ws/circles/", "circle:").rstrip("/")
    assert hello["user"] == horizonte["ids"]["sofia"]
    assert await sofia.receive_json_from() == {
        "type": "session.state",
        "status": "scheduled",
        "stage": [],
        "hands": [],
        "audience": 1,
        "stage_limit": 6,
        "version": 1,
        "media": "mesh",
        "viewers": [horizonte["ids"]["sofia"]],
        "devices": {},
    }
    assert await sofia.receive_json_from() == {"type": "rtc.config", "ice_servers": settings.LIVE_ICE_SERVERS}


async def test_the_audience_count_follows_people_coming_and_going(enter):
    sofia, mine = await enter("sofia")
    assert mine["audience"] == 1
    lucas, _ = await enter("lucas")
    assert (await state_where(sofia, lambda s: True))["audience"] == 2
    await lucas.disconnect()
    assert (await state_where(sofia, lambda s: True))["audience"] == 1


async def test_the_coach_starts_the_session_and_comes_on_stage(enter, horizonte):
    ids = horizonte["ids"]
    coach, _ = await enter("diego.coach")
    sofia, _ = await enter("sofia")
    await coach.send_json_to({"type": "session.start"})
    state = await state_where(sofia, lambda s: s["status"] == "live")
    assert state["stage"] == [ids["diego.coach"]]
    assert state["audience"] == 1
    assert (await state_where(coach, lambda s: s["status"] == "live")) == state
    session = await database_sync_to_async(LiveSession.objects.get)(pk=horizonte["session"])
    assert session.started_at is not None


async def test_only_the_coach_starts_ends_invites_removes_and_mutes(live, horizonte):
    _, sofia, _ = live
    ids = horizonte["ids"]
    for frame in (
        {"type": "session.start"},
        {"type": "session.end"},
        {"type": "session.mute_all"},
        {"type": "stage.invite", "user": ids["lucas"]},
        {"type": "stage.remove", "user": ids["diego.coach"]},
        {"type": "hands.lower_all"},
        {"type": "stage.mute", "user": ids["diego.coach"]},
    ):
        assert (await error_for(sofia, frame))["code"] == "forbidden", frame


async def test_stage_frames_wait_for_the_session_to_be_live(enter, horizonte):
    coach, _ = await enter("diego.coach")
    sofia, _ = await enter("sofia")
    error = await error_for(sofia, {"type": "hand.raise"})
    assert (error["code"], error["detail"]) == ("forbidden", "The session is not live.")
    assert (await error_for(coach, {"type": "session.end"}))["code"] == "forbidden"
    assert (await error_for(coach, {"type": "stage.invite", "user": horizonte["ids"]["sofia"]}))[
        "code"
    ] == "forbidden"


async def test_hands_queue_oldest_first_and_count_in_attendance(live, horizonte):
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    await lucas.send_json_to({"type": "hand.raise"})
    await state_where(coach, lambda s: s["hands"] == [ids["lucas"]])
    await sofia.send_json_to({"type": "hand.raise"})
    await state_where(coach, lambda s: s["hands"] == [ids["lucas"], ids["sofia"]])
    await lucas.send_json_to({"type": "hand.raise"})  # already up: no change, not counted again
    await lucas.send_json_to({"type": "hand.lower"})
    state = await state_where(sofia, lambda s: s["hands"] == [ids["sofia"]])
    assert state["stage"] == [ids["diego.coach"]]
    await lucas.send_json_to({"type": "hand.raise"})
    await state_where(coach, lambda s: s["hands"] == [ids["sofia"], ids["lucas"]])
    raised = await database_sync_to_async(
        lambda: dict(Attendance.objects.values_list("user__username", "hands_raised"))
    )()
    assert raised == {"lucas": 2, "sofia": 1}


async def test_the_coach_invites_from_the_hand_queue(live, horizonte):
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    await sofia.send_json_to({"type": "hand.raise"})
    await state_where(coach, lambda s: s["hands"] == [ids["sofia"]])
    await coach.send_json_to({"type": "stage.invite", "user": ids["sofia"]})
    state = await state_where(lucas, lambda s: ids["sofia"] in s["stage"])
    assert state["stage"] == [ids["diego.coach"], ids["sofia"]]
    assert state["hands"] == []
    assert state["audience"] == 1
    await sofia.send_json_to({"type": "hand.raise"})
    assert (await next_frame(sofia, "error"))["code"] == "forbidden"  # on stage already


async def test_the_seventh_person_on_stage_is_refused_with_stage_full(enter, horizonte):
    ids = horizonte["ids"]
    coach, _ = await enter("diego.coach")
    members = ["sofia", "lucas", "emma", "martina", "nicolas", "olivia"]
    for username in members:
        await enter(username)
    await coach.send_json_to({"type": "session.start"})
    for username in members[:5]:
        await coach.send_json_to({"type": "stage.invite", "user": ids[username]})
    state = await state_where(coach, lambda s: len(s["stage"]) == 6)
    assert state["stage"] == [ids["diego.coach"], *(ids[u] for u in members[:5])]
    error = await error_for(coach, {"type": "stage.invite", "user": ids["olivia"]})
    assert error["code"] == "stage_full"
    assert "6" in error["detail"]
    # Once someone steps down there is a seat again.
    await coach.send_json_to({"type": "stage.remove", "user": ids["emma"]})
    await coach.send_json_to({"type": "stage.invite", "user": ids["olivia"]})
    state = await state_where(coach, lambda s: ids["olivia"] in s["stage"])
    assert ids["emma"] not in state["stage"]
    assert len(state["stage"]) == 6


async def test_invitations_name_someone_in_the_room(live, horizonte, demo):
    coach, _, _ = live
    grace = await database_sync_to_async(User.objects.get)(username="grace")  # another circle
    assert (await error_for(coach, {"type": "stage.invite", "user": 999_999}))["code"] == "not_found"
    assert (await error_for(coach, {"type": "stage.invite", "user": grace.pk}))["code"] == "not_found"
    away = await error_for(coach, {"type": "stage.invite", "user": horizonte["ids"]["emma"]})
    assert (away["code"], away["detail"]) == ("not_found", "That person is not in the room right now.")
    for bad in ("7", None, 0, -3, True, 1.5):
        frame = {"type": "stage.invite", "user": bad}
        assert (await error_for(coach, frame))["code"] == "invalid_frame", bad


async def test_the_coach_removes_and_members_step_down(live, horizonte):
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    await coach.send_json_to({"type": "stage.invite", "user": ids["sofia"]})
    await coach.send_json_to({"type": "stage.invite", "user": ids["lucas"]})
    await state_where(sofia, lambda s: len(s["stage"]) == 3)
    await coach.send_json_to({"type": "stage.remove", "user": ids["lucas"]})
    await state_where(lucas, lambda s: s["stage"] == [ids["diego.coach"], ids["sofia"]])
    await sofia.send_json_to({"type": "stage.leave"})
    await state_where(lucas, lambda s: s["stage"] == [ids["diego.coach"]])
    assert (await error_for(sofia, {"type": "stage.leave"}))["code"] == "forbidden"
    assert (await error_for(coach, {"type": "stage.remove", "user": ids["lucas"]}))["code"] == "forbidden"
    assert (await error_for(coach, {"type": "stage.remove", "user": 999_999}))["code"] == "not_found"


async def test_signals_go_unchanged_to_the_other_stage_member_only(join, live, horizonte):
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    sofia_in_circle, _ = await join("sofia", horizonte["circle_path"])  # her circle page, open beside it
    await coach.send_json_to({"type": "stage.invite", "user": ids["sofia"]})
    await state_where(sofia, lambda s: ids["sofia"] in s["stage"])
    offer = {"description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}, "pc": "a1"}
    await coach.send_json_to({"type": "rtc.signal", "to": ids["sofia"], "data": offer})
    assert await next_frame(sofia, "rtc.signal") == {
        "type": "rtc.signal",
        "from": ids["diego.coach"],
        "data": offer,
    }
    candidate = {"candidate": {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 54321 typ host"}}
    await sofia.send_json_to({"type": "rtc.signal", "to": ids["diego.coach"], "data": candidate})
    assert (await next_frame(coach, "rtc.signal"))["data"] == candidate
    assert await signals_heard(lucas) == []
    assert await signals_heard(sofia_in_circle) == []


async def test_signals_from_the_audience_or_to_it_are_forbidden(live, horizonte, settings):
    settings.LIVE_MESH_VIEWERS = 0  # nobody in the audience receives the stage
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    data = {"description": {"type": "offer", "sdp": "v=0"}}
    error = await error_for(lucas, {"type": "rtc.signal", "to": ids["diego.coach"], "data": data})
    assert error["code"] == "forbidden"
    error = await error_for(coach, {"type": "rtc.signal", "to": ids["lucas"], "data": data})
    assert (error["code"], error["detail"]) == (
        "forbidden",
        "Signals go only between the stage and the people who receive it.",
    )
    assert (await error_for(coach, {"type": "rtc.signal", "to": ids["diego.coach"], "data": data}))[
        "code"
    ] == "forbidden"
    assert (await error_for(coach, {"type": "rtc.signal", "to": 999_999, "data": data}))[
        "code"
    ] == "not_found"
    assert await signals_heard(sofia) == []


async def test_a_viewer_and_the_stage_signal_each_other_in_a_mesh(live, horizonte):
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    state = await database_sync_to_async(stage.session_state)(session_id=horizonte["session"])
    assert state["viewers"] == [ids["sofia"], ids["lucas"]]
    offer = {"pc": "ab12", "description": {"type": "offer", "sdp": "v=0"}}
    await lucas.send_json_to({"type": "rtc.signal", "to": ids["diego.coach"], "data": offer})
    assert await next_frame(coach, "rtc.signal") == {
        "type": "rtc.signal",
        "from": ids["lucas"],
        "data": offer,
    }
    answer = {"pc": "cd34", "description": {"type": "answer", "sdp": "v=0"}}
    await coach.send_json_to({"type": "rtc.signal", "to": ids["lucas"], "data": answer})
    assert await next_frame(lucas, "rtc.signal") == {
        "type": "rtc.signal",
        "from": ids["diego.coach"],
        "data": answer,
    }
    # Two viewers are never connected to each other.
    error = await error_for(lucas, {"type": "rtc.signal", "to": ids["sofia"], "data": offer})
    assert error["code"] == "forbidden"
    assert await signals_heard(sofia) == []


async def test_the_coach_mutes_one_stage_member_and_lowers_every_hand(live, horizonte):
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    await lucas.send_json_to({"type": "hand.raise"})
    await sofia.send_json_to({"type": "hand.raise"})
    await state_where(coach, lambda s: len(s["hands"]) == 2)
    await coach.send_json_to({"type": "stage.invite", "user": ids["sofia"]})
    await state_where(sofia, lambda s: ids["sofia"] in s["stage"])
    await coach.send_json_to({"type": "stage.mute", "user": ids["sofia"]})
    assert await next_frame(sofia, "mute") == {"type": "mute", "by": ids["diego.coach"], "user": ids["sofia"]}
    assert (await error_for(coach, {"type": "stage.mute", "user": ids["lucas"]}))["code"] == "forbidden"
    assert (await error_for(coach, {"type": "stage.mute", "user": 999_999}))["code"] == "not_found"
    assert (await error_for(coach, {"type": "stage.mute", "user": "sofia"}))["code"] == "invalid_frame"
    # Her client obeys and says so; everyone sees her microphone off.
    await sofia.send_json_to({"type": "media.state", "mic": False, "camera": True, "screen": False})
    flags = {"mic": False, "camera": True, "screen": False}
    await state_where(lucas, lambda s: s["devices"] == {str(ids["sofia"]): flags})
    await coach.send_json_to({"type": "hands.lower_all"})
    await state_where(lucas, lambda s: s["hands"] == [])
    for socket in (lucas, coach):  # nobody else got a `mute`
        while not await socket.receive_nothing(timeout=0.3):
            assert (await socket.receive_json_from())["type"] in CHATTER


async def test_device_reports_are_checked(live, horizonte):
    coach, _, lucas = live
    for frame in (
        {"type": "media.state", "mic": True, "camera": True},
        {"type": "media.state", "mic": "yes", "camera": True, "screen": False},
        {"type": "media.state", "mic": 1, "camera": True, "screen": False},
    ):
        assert (await error_for(coach, frame))["code"] == "invalid_frame", frame
    frame = {"type": "media.state", "mic": True, "camera": False, "screen": False}
    assert (await error_for(lucas, frame))["code"] == "forbidden"
    state = await database_sync_to_async(stage.session_state)(session_id=horizonte["session"])
    assert state["devices"] == {}


async def test_bad_signals_are_invalid_or_too_long(live, horizonte):
    coach, _, _ = live
    to = horizonte["ids"]["sofia"]
    for frame in (
        {"type": "rtc.signal", "to": to},
        {"type": "rtc.signal", "to": to, "data": "v=0"},
        {"type": "rtc.signal", "to": to, "data": ["offer"]},
        {"type": "rtc.signal", "to": "sofia", "data": {}},
        {"type": "rtc.signal", "data": {}},
    ):
        assert (await error_for(coach, frame))["code"] == "invalid_frame", frame
    huge = {
        "type": "rtc.signal",
        "to": to,
        "data": {"description": {"type": "offer", "sdp": "a=x\r\n" * 14_000}},
    }
    assert (await error_for(coach, huge))["code"] == "too_long"
    # The socket stays open and usable.
    await coach.send_json_to({"type": "ping"})
    await next_frame(coach, "pong")


def test_the_signal_itself_is_capped_at_64_kib():
    parse = SESSION_PARSERS["rtc.signal"]
    assert parse({"to": 3, "data": {"sdp": "x" * 60_000}}).data == {"sdp": "x" * 60_000}
    with pytest.raises(Exception, match="64 KiB") as refused_signal:
        parse({"to": 3, "data": {"sdp": "x" * 66_000}})
    assert refused_signal.value.code == "too_long"


async def test_the_coach_asks_everyone_to_mute(live, horizonte):
    coach, sofia, lucas = live
    await coach.send_json_to({"type": "session.mute_all"})
    expected = {"type": "mute", "by": horizonte["ids"]["diego.coach"]}
    for socket in (sofia, lucas, coach):
        assert await next_frame(socket, "mute") == expected


async def test_a_stage_member_who_drops_comes_back_to_the_same_state(join, live, horizonte):
    coach, sofia, _ = live
    ids = horizonte["ids"]
    await sofia.send_json_to({"type": "hand.raise"})
    await coach.send_json_to({"type": "stage.invite", "user": ids["sofia"]})
    await state_where(sofia, lambda s: ids["sofia"] in s["stage"])
    await sofia.disconnect()
    # Her seat waits for her; only the count of people in the room changed.
    dropped = await state_where(coach, lambda s: s["audience"] == 1)
    assert dropped["stage"] == [ids["diego.coach"], ids["sofia"]]
    back, _ = await join("sofia", horizonte["path"])
    state = await back.receive_json_from()
    assert state["type"] == "session.state"
    assert (state["status"], state["stage"], state["hands"]) == (
        "live",
        [ids["diego.coach"], ids["sofia"]],
        [],
    )
    assert (await back.receive_json_from())["type"] == "rtc.config"
    await coach.send_json_to({"type": "rtc.signal", "to": ids["sofia"], "data": {"pc": "again"}})
    assert (await next_frame(back, "rtc.signal"))["data"] == {"pc": "again"}


async def test_ending_clears_the_stage_and_keeps_attendance(live, horizonte):
    coach, sofia, lucas = live
    ids = horizonte["ids"]
    await sofia.send_json_to({"type": "hand.raise"})
    # The coach invites her once he sees the hand (two sockets' frames are handled concurrently).
    await state_where(coach, lambda s: s["hands"] == [ids["sofia"]])
    await coach.send_json_to({"type": "stage.invite", "user": ids["sofia"]})
    await state_where(sofia, lambda s: ids["sofia"] in s["stage"])
    await coach.send_json_to({"type": "session.end"})
    state = await state_where(lucas, lambda s: s["status"] == "ended")
    assert (state["stage"], state["hands"], state["audience"]) == ([], [], 0)
    rows = await database_sync_to_async(
        lambda: {a.user.username: a for a in Attendance.objects.select_related("user")}
    )()
    assert {"diego.coach", "sofia", "lucas"} <= {name for name, row in rows.items() if row.present}
    assert not rows["emma"].present  # in the circle, never came
    assert rows["sofia"].hands_raised == 1
    assert rows["sofia"].joined_at is not None
    # Stage frames are refused now; the chat goes on.
    assert (await error_for(sofia, {"type": "hand.raise"}))["code"] == "forbidden"
    assert (await error_for(coach, {"type": "session.start"}))["code"] == "forbidden"
    await lucas.send_json_to({"type": "message.send", "client_id": new_id(), "body": "Thank you all!"})
    assert (await next_frame(coach, "message.new"))["message"]["body"] == "Thank you all!"


async def test_messages_sent_in_the_session_are_tagged_with_it(join, enter, horizonte):
    sofia, _ = await enter("sofia")
    in_circle, _ = await join("lucas", horizonte["circle_path"])
    await sofia.send_json_to({"type": "message.send", "client_id": new_id(), "body": "Ready when you are"})
    assert (await next_frame(in_circle, "message.new"))["message"]["body"] == "Ready when you are"
    message = await database_sync_to_async(Message.objects.get)()
    assert message.session_id == horizonte["session"]


async def test_a_socket_never_goes_back_to_an_older_state(enter, horizonte):
    sofia, state = await enter("sofia")
    group = f"live.{horizonte['session']}"
    older = {**state, "audience": 99, "version": state["version"] - 1}
    await realtime.publish(group, stage.state_event(older))
    await realtime.publish(group, stage.state_event(state))  # the one it has: not sent twice
    assert await sofia.receive_nothing(timeout=0.3)
    newer = {**state, "audience": 7, "version": state["version"] + 1}
    await realtime.publish(group, stage.state_event(newer))
    assert await sofia.receive_json_from() == newer


async def test_the_circle_page_does_not_hear_the_stage(join, live, horizonte):
    coach, _, _ = live
    in_circle, _ = await join("emma", horizonte["circle_path"])
    await coach.send_json_to({"type": "session.mute_all"})
    await next_frame(coach, "mute")
    frames = []
    while not await in_circle.receive_nothing(timeout=0.3):
        frames.append(await in_circle.receive_json_from())
    assert {f["type"] for f in frames} <= {"presence"}


async def test_a_member_removed_from_the_circle_is_cut_off(enter, horizonte):
    sofia, _ = await enter("sofia")

    def remove_sofia() -> None:
        circles_services.remove_member(
            actor=User.objects.get(username="ana.admin"),
            circle=Circle.objects.get(name="Horizonte"),
            member=User.objects.get(username="sofia"),
            reason="left the programme",
        )

    await database_sync_to_async(remove_sofia)()
    output = await sofia.receive_output(timeout=2)
    while output["type"] != "websocket.close":
        output = await sofia.receive_output(timeout=2)
    assert output["code"] == 4403
    assert (
        await refused(horizonte["path"], await database_sync_to_async(User.objects.get)(username="sofia"))
        == 4403
    )


async def test_only_the_circle_may_enter(horizonte):
    path = horizonte["path"]
    grace = await database_sync_to_async(User.objects.get)(username="grace")
    lucia = await database_sync_to_async(User.objects.get)(username="lucia.coach")
    admin = await database_sync_to_async(User.objects.get)(username="ana.admin")
    assert await refused(path, grace) == 4403
    assert await refused(path, lucia) == 4403
    assert await refused(path, admin) == 4403
    assert await refused(path, AnonymousUser()) == 4401
    assert await refused("/ws/sessions/999999/", grace) == 4404
