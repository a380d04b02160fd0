"""WebRTC peers made with aiortc that speak our session socket protocol (docs/protocol.md, "Media: through
the SFU, or a mesh without it"); used by tests/live/test_sfu.py and by the SFU benchmark (bench/sfu.py).

A `Person` is one WebSocket to /ws/sessions/<id>/ signed in with a session cookie, plus the aiortc peer
connections it publishes with (`publish`, sending a `Tile`) or receives with (`accept`, counting what
arrives in a `Reception`). Nothing here touches Django or the database: it is a client only.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

VIDEO_CLOCK_RATE = 90_000


class Tile(VideoStreamTrack):
    """A picture in one colour per sender (160x120 at 30 frames a second unless told otherwise); `sent` has
    the time each frame was handed to the encoder."""

    def __init__(self, shade: int, *, width: int = 160, height: int = 120, fps: float = 30) -> None:
        super().__init__()
        self.pixels = np.full((height, width, 3), shade, dtype=np.uint8)
        self.fps = fps
        self.started: float | None = None
        self.sent: list[float] = []

    async def recv(self) -> VideoFrame:
        # Our own pacing rather than VideoStreamTrack.next_timestamp, which is fixed at 30 frames a second.
        now = time.monotonic()
        if self.started is None:
            self.started = now
        index = len(self.sent)
        wait = self.started + index / self.fps - now
        if wait > 0:
            await asyncio.sleep(wait)
        frame = VideoFrame.from_ndarray(self.pixels, format="rgb24")
        frame.pts = round(index * VIDEO_CLOCK_RATE / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        self.sent.append(time.monotonic())
        return frame


def peer() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))  # host candidates: Janus is on this machine


class Reception:
    """One stream one person receives: when each decoded frame arrived, and when the track ended."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.pc = pc
        self.arrivals: list[float] = []
        self.ended_at: float | None = None
        self.last: VideoFrame | None = None
        self.changed = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None

    @property
    def shade(self) -> float:
        """The mean brightness of the last frame (-1 before any): which sender's picture this is."""
        # Worked out when asked, not per frame, so that counting frames costs the load generator little.
        return -1.0 if self.last is None else float(self.last.to_ndarray(format="gray").mean())

    async def count(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                async with self.changed:
                    self.last = frame
                    self.arrivals.append(time.monotonic())
                    self.changed.notify_all()
        except MediaStreamError:
            async with self.changed:
                self.ended_at = time.monotonic()
                self.changed.notify_all()

    async def until(self, check: Callable[[], bool], timeout: float = 15) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(check), timeout)

    async def frames(self, count: int, timeout: float = 15) -> None:
        await self.until(lambda: len(self.arrivals) >= count, timeout)


class Person:
    """One person's socket to the session, everything it received, and their peer connections."""

    def __init__(self, server: str, path: str, username: str, cookie: str) -> None:
        self.username = username
        self.url = server.replace("http://", "ws://") + path
        self.headers = {"Cookie": cookie, "Origin": server}
        self.frames: list[dict[str, Any]] = []
        self.taken = 0  # frames before this index were looked at by `next`
        self.arrived = asyncio.Condition()
        self.close_code: int | None = None
        self.pcs: list[RTCPeerConnection] = []
        self.tiles: list[Tile] = []
        self.received: dict[int, Reception] = {}

    async def open(self) -> Person:
        self.socket = await websockets.connect(
            self.url, additional_headers=self.headers, compression=None, max_queue=None
        )
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                async with self.arrived:
                    self.frames.append(json.loads(raw))
                    self.arrived.notify_all()
        except websockets.ConnectionClosed:
            pass
        async with self.arrived:
            self.close_code = self.socket.close_code
            self.arrived.notify_all()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    async def next(self, kind: str, check: Callable[[dict[str, Any]], bool] = bool, timeout: float = 10):
        """The first frame of that kind passing `check` that no earlier `next` returned."""

        def find() -> dict[str, Any] | None:
            for frame in self.frames:
                if frame["type"] == kind and check(frame) and not frame.get("_seen"):
                    frame["_seen"] = True
                    return frame
            return None

        result: dict[str, Any] | None = None

        def ready() -> bool:
            nonlocal result
            result = find()
            return result is not None

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(ready), timeout)
        assert result is not None
        return result

    async def error_for(self, frame: dict[str, Any]) -> dict[str, Any]:
        await self.send(frame)
        return await self.next("error")

    async def publish(self, shade: int, **tile: Any) -> RTCPeerConnection:
        """Send a `Tile` of that shade (`tile`: its width, height, fps) through the SFU."""
        pc = peer()
        self.pcs.append(pc)
        self.tiles.append(Tile(shade, **tile))
        pc.addTrack(self.tiles[-1])
        await pc.setLocalDescription(await pc.createOffer())
        await self.send({"type": "sfu.publish", "jsep": {"type": "offer", "sdp": pc.localDescription.sdp}})
        answer = await self.next("sfu.answer")
        await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))
        return pc

    async def accept(self, user_id: int, timeout: float = 15) -> Reception:
        """Answer the server's next offer of `user_id`'s stream and count what arrives."""
        offer = await self.next("sfu.offer", lambda f: f["user"] == user_id, timeout=timeout)
        pc = peer()
        self.pcs.append(pc)
        reception = self.received[user_id] = Reception(pc)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            reception.task = asyncio.create_task(reception.count(track))

        await pc.setRemoteDescription(RTCSessionDescription(**offer["jsep"]))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(
            {"type": "sfu.start", "user": user_id, "jsep": {"type": "answer", "sdp": pc.localDescription.sdp}}
        )
        return reception

    async def close(self) -> None:
        for pc in self.pcs:
            await pc.close()
        await self.socket.close()
        await self.reader


async def go_live(coach: Person, others: list[Person], ids: dict[str, int], on_stage: list[str]) -> None:
    """The coach starts the session and invites `on_stage[1:]`; wait until everyone sees that stage."""
    await coach.send({"type": "session.start"})
    for username in on_stage[1:]:
        await coach.send({"type": "stage.invite", "user": ids[username]})
    wanted = [ids[name] for name in on_stage]
    for person in [coach, *others]:
        await person.next("session.state", lambda s: s["stage"] == wanted)
