"""Live media through the SFU, end to end: real daphne, Redis and Janus, WebRTC peers made with aiortc.

Every person is a WebSocket to /ws/sessions/<id>/ signed in with their session cookie, plus aiortc peer
connections that send or receive 160x120 VP8 (few pixels, so two cores decode fifteen streams); the peers
are tests/live/peers.py, which bench/sfu.py drives too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from circles.models import Circle
from coaching.accounts.models import User
from coaching.live.janus import Janus
from coaching.live.models import LiveSession
from tests.live.peers import Person, Reception, go_live

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

STAGE = ["diego.coach", "sofia", "lucas"]
AUDIENCE = ["emma", "martina", "nicolas", "olivia", "jorge"]
FRAMES = 10  # decoded frames each stream must show


def cookie_for(username: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def horizonte(demo) -> dict[str, Any]:
    """Horizonte's session starting now: its socket path, and everyone's id and cookie."""
    coach = User.objects.get(username="diego.coach")
    session = LiveSession.objects.create(
        circle=Circle.objects.get(name="Horizonte"),
        title="On camera",
        starts_at=timezone.now() + dt.timedelta(minutes=5),
        timezone=coach.timezone,
        created_by=coach,
    )
    names = [*STAGE, *AUDIENCE, "grace"]
    return {
        "session": session.pk,
        "path": f"/ws/sessions/{session.pk}/",
        "ids": dict(User.objects.filter(username__in=names).values_list("username", "pk")),
        "cookies": {name: cookie_for(name) for name in names},
    }


@pytest.fixture
def sfu_server(daphne_factory, janus) -> str:
    return daphne_factory(JANUS_URL=janus.url, JANUS_API_SECRET=janus.secret)


async def enter(server: str, horizonte: dict[str, Any], username: str) -> Person:
    """Open a socket and wait for the media server to be reported available."""
    person = await Person(server, horizonte["path"], username, horizonte["cookies"][username]).open()
    await person.next("rtc.config")
    assert (await person.next("media.status"))["available"] is True
    return person


async def test_the_audience_receives_every_stage_member_and_a_removal_cuts_them_off(
    sfu_server, horizonte, janus
):
    ids = horizonte["ids"]
    started = time.monotonic()
    people = {name: await enter(sfu_server, horizonte, name) for name in [*STAGE, *AUDIENCE]}
    coach = people["diego.coach"]
    await go_live(coach, [people[n] for n in STAGE[1:] + AUDIENCE], ids, STAGE)

    for shade, name in enumerate(STAGE):
        await people[name].publish(60 + 60 * shade)
    for name in AUDIENCE:  # ask for everyone at once; offers come as each publication is up
        for member in STAGE:
            await people[name].send({"type": "sfu.subscribe", "user": ids[member]})
    receptions = [await people[name].accept(ids[member]) for name in AUDIENCE for member in STAGE]
    await asyncio.gather(*(reception.frames(FRAMES) for reception in receptions))
    flowing = time.monotonic()
    for name in AUDIENCE:
        for member in STAGE:
            assert await people[name].next("sfu.published", lambda f, m=member: f["user"] == ids[m])

    # Refusals: each checked on the server, the socket stays open.
    sofia, emma, lucas = people["sofia"], people["emma"], people["lucas"]
    error = await sofia.error_for({"type": "sfu.subscribe", "user": ids["emma"]})  # emma is not on stage
    assert error["code"] == "forbidden"
    error = await emma.error_for({"type": "sfu.publish", "jsep": {"type": "offer", "sdp": "v=0\r\n"}})
    assert error["code"] == "forbidden"
    error = await emma.error_for({"type": "sfu.subscribe", "user": ids["emma"]})
    assert error["code"] == "forbidden"
    error = await emma.error_for(
        {"type": "sfu.start", "user": ids["sofia"], "jsep": {"type": "answer", "sdp": "v=0\r\n"}}
    )
    assert error["code"] == "not_found"  # started already: no offer is waiting
    error = await emma.error_for({"type": "sfu.trickle", "user": None, "candidate": None})
    assert error["code"] == "not_found"  # emma publishes nothing
    error = await emma.error_for({"type": "sfu.publish", "jsep": {"type": "answer", "sdp": "v=0"}})
    assert error["code"] == "invalid_frame"

    # The coach takes Lucas off the stage: every viewer's stream of him ends, the others' go on.
    removed = time.monotonic()
    await coach.send({"type": "stage.remove", "user": ids["lucas"]})
    lucas_streams = [people[name].received[ids["lucas"]] for name in AUDIENCE]
    await asyncio.gather(*(r.until(lambda r=r: r.ended_at is not None, timeout=5) for r in lucas_streams))
    for name in AUDIENCE:
        await people[name].next("sfu.gone", lambda f: f["user"] == ids["lucas"], timeout=2)
    cut_off = max(r.ended_at or 0 for r in lucas_streams) - removed
    last_frame = max(r.arrivals[-1] for r in lucas_streams) - removed
    assert cut_off < 2, cut_off
    others = [people[name].received[ids[m]] for name in AUDIENCE for m in ("diego.coach", "sofia")]
    counts = [len(r.arrivals) for r in others]
    await asyncio.gather(*(r.frames(n + FRAMES) for r, n in zip(others, counts, strict=True)))
    assert all(r.ended_at is None for r in others)
    error = await lucas.error_for({"type": "sfu.publish", "jsep": {"type": "offer", "sdp": "v=0\r\n"}})
    assert error["code"] == "forbidden"  # off the stage, he cannot send any more

    # The end of the session destroys the Janus room.
    room = (await sync_to_async(LiveSession.objects.get)(pk=horizonte["session"])).media_room
    assert room is not None
    client = await Janus.connect(janus.url, secret=janus.secret)
    control = await client.attach()
    assert (await control.message({"request": "exists", "room": room}))[0]["exists"] is True
    await coach.send({"type": "session.end"})
    await coach.next("session.state", lambda s: s["status"] == "ended")
    await coach.send({"type": "ping"})
    await coach.next("pong")  # session.end's hook ran before this frame was read
    assert (await control.message({"request": "exists", "room": room}))[0]["exists"] is False
    await client.close()
    for person in people.values():
        await person.close()
    print(  # the figures for the record (pytest -s)
        f"\n15 streams with {FRAMES}+ frames after {flowing - started:.1f} s; removal: streams ended "
        f"{cut_off:.2f} s after stage.remove, last frame {last_frame:.2f} s after"
    )


async def test_someone_outside_the_circle_cannot_open_the_socket(sfu_server, horizonte):
    grace = await Person(sfu_server, horizonte["path"], "grace", horizonte["cookies"]["grace"]).open()
    async with grace.arrived:
        await asyncio.wait_for(grace.arrived.wait_for(lambda: grace.close_code is not None), 5)
    assert grace.close_code == 4403
    assert grace.frames == []  # no hello, no media.status: nothing to make a handle with


async def test_janus_going_away_keeps_the_chat_and_coming_back_restores_media(
    own_daphne_factory, own_janus, horizonte
):
    server = own_daphne_factory(JANUS_URL=own_janus.url, JANUS_API_SECRET=own_janus.secret)
    ids = horizonte["ids"]
    coach, emma = await enter(server, horizonte, "diego.coach"), await enter(server, horizonte, "emma")
    await go_live(coach, [emma], ids, ["diego.coach"])

    async def watch() -> Reception:
        await coach.publish(200)
        await emma.send({"type": "sfu.subscribe", "user": ids["diego.coach"]})
        reception = await emma.accept(ids["diego.coach"])
        await reception.frames(FRAMES)
        return reception

    await watch()
    await asyncio.to_thread(own_janus.stop)
    for person in (coach, emma):
        assert (await person.next("media.status"))["available"] is False
    error = await coach.error_for({"type": "sfu.publish", "jsep": {"type": "offer", "sdp": "v=0\r\n"}})
    assert error["code"] == "media_unavailable"
    await emma.send(
        {"type": "message.send", "client_id": "0b6c1b1e-1f9a-4d7e-9d51-4f1f1c1f2a01", "body": "still here?"}
    )
    assert (await coach.next("message.new"))["message"]["body"] == "still here?"

    went_away = time.monotonic()
    await asyncio.to_thread(own_janus.start)
    for person in (coach, emma):
        assert (await person.next("media.status", timeout=15))["available"] is True
    back = time.monotonic() - went_away
    await watch()  # the clients publish and subscribe again, and the room is made anew
    print(f"\nmedia.status true {back:.1f} s after Janus was restarted")
    for person in (coach, emma):
        await person.close()


async def test_a_second_tab_takes_over_and_viewers_are_offered_the_new_stream(sfu_server, horizonte):
    ids = horizonte["ids"]
    coach, emma = (
        await enter(sfu_server, horizonte, "diego.coach"),
        await enter(sfu_server, horizonte, "emma"),
    )
    await go_live(coach, [emma], ids, ["diego.coach"])
    await coach.publish(40)
    await emma.send({"type": "sfu.subscribe", "user": ids["diego.coach"]})
    first = await emma.accept(ids["diego.coach"])
    await first.frames(FRAMES)

    tab = await enter(sfu_server, horizonte, "diego.coach")  # the coach opens a second tab and publishes
    await tab.publish(220)
    await first.until(lambda: first.ended_at is not None)  # the first tab's publisher was kicked
    second = await emma.accept(ids["diego.coach"])  # offered again without asking again
    await second.frames(FRAMES)
    assert abs(first.shade - 40) < 25 < abs(second.shade - 40), (first.shade, second.shade)
    assert (await coach.next("sfu.gone"))["user"] == ids["diego.coach"]  # the first tab hears it stopped

    await tab.close()  # closing the publishing tab ends its stream for the viewers
    await second.until(lambda: second.ended_at is not None)
    await emma.next("sfu.gone", lambda f: f["user"] == ids["diego.coach"])
    for person in (coach, emma):
        await person.close()


async def test_an_unreachable_janus_is_reported_and_sfu_frames_are_refused(own_daphne_factory, horizonte):
    server = own_daphne_factory(JANUS_URL="ws://127.0.0.1:9", JANUS_API_SECRET="unused")  # nothing listens
    ids = horizonte["ids"]
    coach = await Person(server, horizonte["path"], "diego.coach", horizonte["cookies"]["diego.coach"]).open()
    await coach.next("rtc.config")
    assert (await coach.next("media.status"))["available"] is False
    await coach.send({"type": "session.start"})
    await coach.next("session.state", lambda s: s["status"] == "live")  # the stage works without media
    error = await coach.error_for({"type": "sfu.publish", "jsep": {"type": "offer", "sdp": "v=0\r\n"}})
    assert error["code"] == "media_unavailable"
    await coach.send({"type": "stage.invite", "user": ids["emma"]})
    assert (await coach.next("error"))["code"] == "not_found"  # emma is not in the room: an ordinary refusal
    await coach.close()
