"""A live session in real browsers against a real daphne: the coach and a member on video with Chromium's fake
camera and microphone; the audience receiving the stage through the mesh (or told it cannot, beyond
LIVE_MESH_VIEWERS); the coach's controls, mute flags and screen sharing; attendance afterwards."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from chat.models import Message
from circles.models import Circle
from coaching.accounts.models import User
from coaching.live.models import Attendance, LiveSession
from coaching.live.scheduling import cancel_session, schedule_session
from tests.e2e import pages

pytestmark = [pytest.mark.browser]
TIMEOUT = 20_000

# Counts every RTCPeerConnection and camera request a page makes, whatever the page's own code says, and
# keeps a short log of signalling and connection states for the message of a failing assertion.
WATCH_WEBRTC = """
(() => {
  window.__peerConnections = 0;
  window.__mediaRequests = 0;
  window.__pcs = [];
  window.__log = [];
  const note = (text) => window.__log.push(`${(performance.now() / 1000).toFixed(2)} ${text}`);
  const brief = (frame) => `${JSON.stringify(frame.data).slice(0, 70)}`;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (text) {
    if (text.includes('"rtc.signal"')) note(`sent to ${JSON.parse(text).to} ${brief(JSON.parse(text))}`);
    return send.call(this, text);
  };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      const path = new URL(args[0]).pathname;
      this.addEventListener("message", (event) => {
        if (!event.data.includes('"rtc.signal"')) return;
        const frame = JSON.parse(event.data);
        note(`got from ${frame.from} on ${path} ${brief(frame)}`);
      });
    }
  };
  const Original = window.RTCPeerConnection;
  if (Original) {
    window.RTCPeerConnection = class extends Original {
      constructor(...args) {
        super(...args);
        window.__peerConnections += 1;
        const n = window.__pcs.push(this);
        note(`pc${n} new`);
        this.addEventListener("signalingstatechange", () => note(`pc${n} ${this.signalingState}`));
        this.addEventListener("connectionstatechange", () => note(`pc${n} ${this.connectionState}`));
      }
    };
  }
  const devices = navigator.mediaDevices;
  if (devices && devices.getUserMedia) {
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints) => {
      window.__mediaRequests += 1;
      return original(constraints);
    };
  }
})();
"""

DIAGNOSE = """async () => {
  const pcs = [];
  for (const pc of window.__pcs) {
    const rtp = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type.endsWith("-rtp")) rtp.push([r.type, r.kind, r.bytesReceived ?? r.bytesSent]);
    });
    const transceivers = pc.getTransceivers().map((t) => [t.mid, t.direction, t.currentDirection]);
    pcs.push({connection: pc.connectionState, signaling: pc.signalingState, transceivers, rtp});
  }
  return {pcs, peers: window.circlesSession.peers, log: window.__log};
}"""

# [videoWidth, frames decoded] of the <video> on someone's stage tile.
VIDEO_OF = """id => {
  const video = document.querySelector(`.stage-tile[data-user='${id}'] video`);
  return video ? [video.videoWidth, video.getVideoPlaybackQuality().totalVideoFrames] : [0, 0];
}"""

CONNECTED_TO = (
    "id => window.circlesSession.peers.some((p) => p.user === id && p.connectionState === 'connected')"
)

# Everyone opened in the current test, for the message of a failing assertion.
OPEN: list[Any] = []


def report() -> dict[str, str]:
    """What every open page's peer connections look like, and what they signalled."""
    return {person.username: person.diagnose() for person in OPEN}


@pytest.fixture(autouse=True)
def forget_people() -> Iterator[None]:
    yield
    OPEN.clear()


class Person(pages.Person):
    """One demo person in the live session room, with WebRTC watched."""

    def __init__(self, chromium: Any, base_url: str, username: str, password: str) -> None:
        OPEN.append(self)
        super().__init__(
            chromium,
            base_url,
            username,
            password,
            viewport={"width": 1280, "height": 900},
            init_script=WATCH_WEBRTC,
        )

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector("#session-status[data-state=connected]", timeout=TIMEOUT)
        self.page.wait_for_selector("#chat-status[data-state=connected]", timeout=TIMEOUT)

    def wait_status(self, status: str) -> None:
        self.page.wait_for_selector(f"#session[data-status={status}]", timeout=TIMEOUT)

    def hook(self, expression: str) -> Any:
        return self.page.evaluate(f"window.circlesSession.{expression}")

    def connected_to(self, user_id: int) -> None:
        try:
            self.page.wait_for_function(
                CONNECTED_TO,
                arg=user_id,
                timeout=TIMEOUT,
            )
        except Exception as timeout:
            raise AssertionError(f"{self.username} not connected to {user_id}: {report()}") from timeout

    def video_bytes_from(self, user_id: int) -> int:
        return int(self.page.evaluate("id => window.circlesSession.inboundBytes(id, 'video')", user_id))

    def receives_video_from(self, user_id: int) -> None:
        """Video from that person arrives, and keeps arriving."""
        deadline = time.monotonic() + TIMEOUT / 1000
        while (first := self.video_bytes_from(user_id)) == 0 and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
        self.page.wait_for_timeout(1000)
        assert self.video_bytes_from(user_id) > first > 0, report()

    def plays_video_of(self, user_id: int) -> None:
        """The <video> on that person's tile has a picture, and its frames keep advancing."""
        try:
            self.page.wait_for_function(f"id => ({VIDEO_OF})(id)[0] > 0", arg=user_id, timeout=TIMEOUT)
            [width, frames] = self.page.evaluate(VIDEO_OF, user_id)
            self.page.wait_for_function(
                f"([id, n]) => ({VIDEO_OF})(id)[1] > n + 10", arg=[user_id, frames], timeout=TIMEOUT
            )
        except Exception as timeout:
            raise AssertionError(f"{self.username} sees no video of {user_id}: {report()}") from timeout
        assert width > 0

    def diagnose(self) -> str:
        """Every peer connection this page made: states, transceivers and RTP counters."""
        return str(self.page.evaluate(DIAGNOSE))


@pytest.fixture
def no_viewers(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A daphne whose mesh sends to nobody in the audience (LIVE_MESH_VIEWERS=0); list it first."""
    monkeypatch.setenv("LIVE_MESH_VIEWERS", "0")
    return str(request.getfixturevalue("daphne_server"))


def schedule_horizonte(base_url: str) -> dict[str, Any]:
    """A Horizonte session Diego schedules to start in ten minutes, in his own zone: its id and page."""
    coach = User.objects.get(username="diego.coach")
    circle = Circle.objects.get(name="Horizonte")
    soon = (timezone.now() + dt.timedelta(minutes=10)).astimezone(ZoneInfo(coach.timezone))
    [session] = schedule_session(
        coach=coach,
        circle=circle,
        title="Asking for what you need",
        agenda="1. Wins of the week\n2. One hard conversation, rehearsed on stage",
        local_start=soon.replace(tzinfo=None, second=0, microsecond=0),
        duration_minutes=45,
    )
    return {"id": session.pk, "url": f"{base_url}/sessions/{session.pk}/"}


@pytest.fixture
def horizonte_session(daphne_server: str, demo: dict[str, Any]) -> dict[str, Any]:
    """A Horizonte session Diego schedules to start in ten minutes, in his own zone."""
    return schedule_horizonte(daphne_server)


@pytest.fixture
def three(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Iterator[tuple[Person, Person, Person]]:
    """Diego (coach), Sofía (she will come on stage) and Emma (she stays in the audience)."""
    people = tuple(
        Person(chromium, daphne_server, name, demo["password"]) for name in ("diego.coach", "sofia", "emma")
    )
    yield people  # type: ignore[misc]
    for person in people:
        person.context.close()


BLOCK_CAMERA = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
"""


def test_a_member_whose_camera_is_blocked_is_told_so_and_still_sees_the_stage(
    chromium, daphne_server, demo, horizonte_session
):
    coach = Person(chromium, daphne_server, "diego.coach", demo["password"])
    olivia = Person(chromium, daphne_server, "olivia", demo["password"])
    olivia.context.add_init_script(BLOCK_CAMERA)
    try:
        ids = dict(User.objects.filter(username__in=["diego.coach", "olivia"]).values_list("username", "pk"))
        for person in (coach, olivia):
            person.open(horizonte_session["url"])
        coach.page.click("#session-start")
        olivia.wait_status("live")
        olivia.page.click("#hand-raise")
        coach.page.get_by_role("button", name="Invite Olivia Brown to the stage").click()
        problem = olivia.page.locator("#session-media-problem")
        problem.wait_for(timeout=TIMEOUT)
        assert "blocked the camera and microphone" in problem.inner_text()
        assert problem.get_by_role("button", name="Try again").is_visible()
        olivia.page.wait_for_function("() => window.circlesSession.media === 'failed'", timeout=TIMEOUT)
        # Without a camera of her own she still receives the coach over a receive-only connection.
        olivia.connected_to(ids["diego.coach"])
        olivia.page.wait_for_selector(
            f".stage-tile.has-video[data-user='{ids['diego.coach']}']", timeout=TIMEOUT
        )
        olivia.receives_video_from(ids["diego.coach"])
        assert olivia.page.is_hidden("#toggle-camera")
        olivia.shot("session-camera-blocked.png", full_page=True)
        assert coach.errors + olivia.errors == []
    finally:
        coach.context.close()
        olivia.context.close()


def test_a_coach_and_a_member_talk_on_stage_while_the_audience_follows_in_chat(
    no_viewers, three, horizonte_session
):
    coach, sofia, emma = three
    ids = dict(
        User.objects.filter(username__in=["diego.coach", "sofia", "emma"]).values_list("username", "pk")
    )
    for person in three:
        person.open(horizonte_session["url"])

    # The lobby: title, agenda and start time for everyone; only the coach can start.
    assert sofia.page.inner_text("#session-waiting") == "Waiting for the coach to start."
    assert "One hard conversation" in sofia.page.inner_text("#session-lobby")
    assert sofia.page.locator("#session-start").count() == 0
    sofia.shot("session-lobby-member.png", full_page=True)

    coach.page.click("#session-start")
    for person in three:
        person.wait_status("live")
    coach.page.wait_for_function("() => window.circlesSession.media === 'ready'", timeout=TIMEOUT)
    coach.page.wait_for_selector(f".stage-tile.is-me.has-video[data-user='{ids['diego.coach']}']")

    sofia.page.click("#hand-raise")
    invite = coach.page.get_by_role("button", name="Invite Sofía Navarro to the stage")
    invite.wait_for(timeout=TIMEOUT)
    emma.page.locator("#hand-list", has_text="Sofía Navarro").wait_for(timeout=TIMEOUT)
    invite.click()

    # Both ends of the one peer connection come up and carry video.
    coach.connected_to(ids["sofia"])
    sofia.connected_to(ids["diego.coach"])
    coach.receives_video_from(ids["sofia"])
    sofia.receives_video_from(ids["diego.coach"])
    for person, other in ((coach, "sofia"), (sofia, "diego.coach")):
        person.page.wait_for_selector(f".stage-tile.has-video[data-user='{ids[other]}']", timeout=TIMEOUT)
        assert person.page.evaluate("window.__peerConnections") == 1

    # Beyond the mesh's viewers, the audience sees who is on stage and the chat, is told why there is no
    # video, and never touches WebRTC or the camera.
    emma.page.locator("#stage-list", has_text="Sofía Navarro").wait_for(timeout=TIMEOUT)
    assert emma.hook("state")["viewers"] == []
    note = emma.page.locator("#session-mesh-note")
    assert note.is_visible()
    assert "without a media server" in note.inner_text()
    assert coach.page.is_hidden("#session-mesh-note")
    assert "Diego Ramírez" in emma.page.inner_text("#stage-list")
    assert emma.hook("state")["stage"] == [ids["diego.coach"], ids["sofia"]]
    assert emma.hook("peers") == []
    assert emma.hook("peerConnectionsOpened") == 0
    assert emma.page.evaluate("[window.__peerConnections, window.__mediaRequests]") == [0, 0]
    assert emma.page.is_visible("#hand-raise")
    emma.page.fill("#chat-input", "Great question, Sofía!")
    emma.page.press("#chat-input", "Enter")
    for person in (coach, sofia):
        person.page.locator(
            "#chat-log .chat-msg:not(.chat-pending) .chat-body", has_text="Great question"
        ).wait_for(timeout=TIMEOUT)
    assert Message.objects.get(body="Great question, Sofía!").session_id == horizonte_session["id"]

    # Sofía's connection drops: she comes back to her seat and both ends build a fresh peer connection.
    sofia.page.evaluate("window.circlesSession.socket.close()")
    sofia.page.wait_for_function("() => window.circlesSession.peerConnectionsOpened === 2", timeout=TIMEOUT)
    coach.page.wait_for_function("() => window.__peerConnections === 2", timeout=TIMEOUT)
    assert sofia.hook("state")["stage"] == [ids["diego.coach"], ids["sofia"]]
    coach.connected_to(ids["sofia"])
    sofia.connected_to(ids["diego.coach"])
    sofia.receives_video_from(ids["diego.coach"])
    coach.receives_video_from(ids["sofia"])

    # Stage members control their own microphone.
    sofia.page.click("#toggle-mic")
    assert sofia.page.inner_text("#toggle-mic") == "Unmute your microphone"
    sofia.page.click("#toggle-mic")

    coach.shot("session-live-coach.png", full_page=True)
    sofia.shot("session-live-member.png", full_page=True)
    emma.shot("session-live-audience.png", full_page=True)

    coach.page.once("dialog", lambda dialog: dialog.accept())
    coach.page.click("#session-end")
    for person in three:
        person.wait_status("ended")
    sofia.page.wait_for_function("() => window.circlesSession.peers.length === 0", timeout=TIMEOUT)
    assert sofia.hook("media") == "none"  # the camera is let go
    coach.shot("session-ended-coach.png", full_page=True)

    session = LiveSession.objects.get(pk=horizonte_session["id"])
    assert session.status == "ended"
    assert session.started_at is not None
    assert session.ended_at is not None
    rows = {
        row.user.username: row for row in Attendance.objects.filter(session=session).select_related("user")
    }
    for username in ("diego.coach", "sofia", "emma"):
        row = rows[username]
        assert row.present, username
        assert row.joined_at is not None
        assert row.left_at is not None
        assert session.started_at <= row.joined_at <= row.left_at <= session.ended_at
        assert 0 < row.seconds_present <= (session.ended_at - session.started_at).total_seconds() + 1
    assert rows["diego.coach"].seconds_on_stage > 0
    assert rows["sofia"].seconds_on_stage > 0
    assert rows["sofia"].seconds_on_stage <= rows["diego.coach"].seconds_on_stage
    assert rows["emma"].seconds_on_stage == 0
    assert rows["sofia"].hands_raised == 1
    assert not rows["lucas"].present  # never came
    assert coach.errors + sofia.errors + emma.errors == []


def test_the_audience_sees_the_stage_and_the_coach_runs_it(three, horizonte_session):
    coach, sofia, emma = three
    ids = dict(
        User.objects.filter(username__in=["diego.coach", "sofia", "emma"]).values_list("username", "pk")
    )
    for person in three:
        person.open(horizonte_session["url"])
    coach.page.click("#session-start")
    for person in three:
        person.wait_status("live")

    # Emma and Sofía are in the audience, among the first LIVE_MESH_VIEWERS: the coach's video plays for them
    # over receive-only connections, without a camera of their own and without Janus.
    assert emma.hook("state")["media"] == "mesh"
    assert set(emma.hook("state")["viewers"]) == {ids["emma"], ids["sofia"]}
    emma.plays_video_of(ids["diego.coach"])
    assert emma.page.is_hidden("#session-mesh-note")
    assert emma.page.evaluate("window.__mediaRequests") == 0

    # The coach lowers every raised hand at once.
    for person in (sofia, emma):
        person.page.click("#hand-raise")
    lower_all = coach.page.get_by_role("button", name="Lower all hands")
    coach.page.locator("#hand-list li", has_text="Emma").wait_for(timeout=TIMEOUT)
    lower_all.click()
    sofia.page.locator("#hand-list", has_text="No hands raised.").wait_for(timeout=TIMEOUT)
    emma.page.wait_for_selector("#hand-raise:visible", timeout=TIMEOUT)
    assert lower_all.is_hidden()

    sofia.page.click("#hand-raise")
    coach.page.get_by_role("button", name="Invite Sofía Navarro to the stage").click()
    emma.plays_video_of(ids["sofia"])  # a viewer receives every stage member
    coach.plays_video_of(ids["sofia"])

    # The coach asks Sofía to mute: her client obeys and says so, and everyone sees her microphone off.
    coach.page.get_by_role("button", name="Ask Sofía Navarro to mute their microphone").click()
    notice = sofia.page.locator("#session-notice", has_text="The coach muted your microphone")
    notice.wait_for(timeout=TIMEOUT)
    assert sofia.page.inner_text("#toggle-mic") == "Unmute your microphone"
    for person in three:
        flag = person.page.locator(f".stage-tile[data-user='{ids['sofia']}'] .stage-flag-mic")
        flag.wait_for(timeout=TIMEOUT)
        assert flag.inner_text() == "Microphone off"
    assert coach.page.get_by_role("button", name="Ask Sofía Navarro to mute their microphone").count() == 0
    # Emma's audio level for Sofía drops to silence; the coach's fake microphone still beeps: he is the
    # active speaker on her screen.
    # Levels come from audio that plays: where the browser held the sound back, Emma turns it on first.
    if emma.page.is_visible("#session-play"):
        emma.page.click("#session-play")
    speaking = f".stage-tile.is-speaking[data-user='{ids['diego.coach']}']"
    try:
        emma.page.wait_for_selector(speaking, timeout=TIMEOUT)
    except PlaywrightTimeout:
        pytest.fail(f"no speaker highlight; Emma hears {emma.hook('levels')} on {emma.hook('peers')}")

    # Sofía shares her screen: every video sender swaps to it, and back to the camera when she stops.
    cameras = sofia.hook("sentVideo")
    assert len(cameras) == 2  # to the coach and to Emma
    assert not any(label.startswith("screen") for label in cameras)
    sofia.page.get_by_role("button", name="Share your screen").click()
    sofia.page.wait_for_function(
        "() => window.circlesSession.sentVideo.every((label) => label.startsWith('screen'))", timeout=TIMEOUT
    )
    emma.page.locator(f".stage-tile[data-user='{ids['sofia']}'] .stage-flag-screen").wait_for(timeout=TIMEOUT)
    emma.plays_video_of(ids["sofia"])
    sofia.shot("session-screen-share.png", full_page=True)
    sofia.page.get_by_role("button", name="Stop sharing your screen").click()
    sofia.page.wait_for_function(
        "() => window.circlesSession.sentVideo.every((label) => !label.startsWith('screen'))", timeout=TIMEOUT
    )
    emma.page.locator(f".stage-tile[data-user='{ids['sofia']}'] .stage-flag-screen").wait_for(
        state="detached", timeout=TIMEOUT
    )
    assert sofia.hook("sentVideo") == cameras
    emma.shot("session-viewer.png", full_page=True)
    assert coach.errors + sofia.errors + emma.errors == []


def test_a_cancelled_session_says_so_on_the_open_page(chromium, daphne_server, demo, horizonte_session):
    emma = Person(chromium, daphne_server, "emma", demo["password"])
    try:
        emma.open(horizonte_session["url"])
        assert emma.page.is_visible("#session-lobby")
        session = LiveSession.objects.get(pk=horizonte_session["id"])
        cancel_session(coach=User.objects.get(username="diego.coach"), session=session, reason="Diego is ill")
        emma.wait_status("cancelled")
        assert emma.page.is_visible("#session-cancelled")
        assert emma.page.is_hidden("#session-lobby")
        assert emma.page.inner_text("#session-status-text") == "This session was cancelled."
        emma.page.reload()
        emma.page.locator("#session-cancelled", has_text="Diego is ill").wait_for(timeout=TIMEOUT)
        assert emma.errors == []
    finally:
        emma.context.close()
