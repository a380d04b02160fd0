"""Pins over the room's sockets: after the commit every open chat of the circle hears `pin`, others do not."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat.access import circle_room_of
from coaching.accounts.models import User
from coaching.library import pins
from tests.chat.conftest import drain, new_id, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_pin_and_an_unpin_reach_every_open_chat_of_the_circle_only(join, demo):
    harambee, other = demo["circles"][1], demo["circles"][2]
    kofi, _ = await join("kofi", f"/ws/circles/{harambee['id']}/")
    grace, _ = await join("grace", f"/ws/circles/{harambee['id']}/")
    outsider, _ = await join(other["members"][0], f"/ws/circles/{other['id']}/")
    await kofi.send_json_to({"type": "message.send", "client_id": new_id(), "body": "Worth keeping"})
    message = (await receive_type(grace, "message.new"))["message"]
    await receive_type(kofi, "message.new")

    people = await database_sync_to_async(User.objects.in_bulk)(
        ["grace", harambee["coach"]], field_name="username"
    )
    room = await database_sync_to_async(circle_room_of)(harambee["id"])
    await database_sync_to_async(pins.pin_message)(user=people["grace"], room=room, message_id=message["id"])
    added = {"type": "pin", "op": "add", "message_id": message["id"], "pinned_by": people["grace"].pk}
    for socket in (kofi, grace):
        assert await receive_type(socket, "pin") == {**added, "user": people["grace"].pk}

    coach = people[harambee["coach"]]
    await database_sync_to_async(pins.unpin_message)(user=coach, room=room, message_id=message["id"])
    for socket in (kofi, grace):
        assert await receive_type(socket, "pin") == {**added, "op": "remove", "user": coach.pk}
    assert [f for f in await drain(outsider) if f["type"] == "pin"] == []
