"""Sending files over a real daphne with the Redis layer: upload over HTTP, then `message.send` names them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chat.models import Attachment, Message
from coaching.accounts.models import User
from tests.chat.test_attachments import pdf, png
from tests.chat.test_live_chat import Member, cookie_for

pytestmark = [pytest.mark.redis]


def upload(username: str, circle_id: int, data: bytes, name: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.post(
        reverse("api_circle_upload", args=[circle_id]), {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 201, response.content
    return str(response.json()["attachment"]["id"])


async def send(member: Member, body: str, files: list[str], client_id: str) -> None:
    frame = {"type": "message.send", "client_id": client_id, "body": body, "attachments": files}
    await member.socket.send(json.dumps(frame))


@pytest.fixture
def harambee(daphne_server: str, demo: dict[str, Any]) -> tuple[int, Any]:
    circle_id = demo["circles"][1]["id"]
    cookies = {name: cookie_for(name) for name in ["kofi", "grace"]}

    def member(username: str) -> Member:
        return Member(daphne_server, f"/ws/circles/{circle_id}/", cookies[username])

    return circle_id, member


async def test_a_message_with_files_reaches_the_room_and_a_retry_attaches_them_once(harambee):
    circle_id, member = harambee
    kofi, grace = await member("kofi").open(), await member("grace").open()
    photo = await sync_to_async(upload)("kofi", circle_id, png(), "me.png")
    plan = await sync_to_async(upload)("kofi", circle_id, pdf(), "plan.pdf")
    client_id = str(uuid.uuid4())
    await send(kofi, "my plan", [photo, plan], client_id)
    (seen,) = await grace.messages(1)
    assert seen["body"] == "my plan"
    assert [(a["id"], a["name"]) for a in seen["attachments"]] == [(photo, "me.png"), (plan, "plan.pdf")]
    assert seen["attachments"][0]["thumb_url"].endswith("/thumb/")
    (mine,) = await kofi.messages(1)
    # The socket dropped before the acknowledgement: the client sends the same frame again.
    await send(kofi, "my plan", [photo, plan], client_id)
    (repeat,) = await kofi.messages(1)
    assert repeat["id"] == mine["id"]
    assert [a["id"] for a in repeat["attachments"]] == [photo, plan]
    assert await sync_to_async(Message.objects.count)() == 1
    bound = await sync_to_async(list)(Attachment.objects.values_list("message_id", flat=True))
    assert bound == [mine["id"], mine["id"]]
    await kofi.socket.close()
    await grace.socket.close()


async def test_naming_someone_elses_upload_is_refused_and_nothing_is_posted(harambee):
    circle_id, member = harambee
    kofi = await member("kofi").open()
    theirs = await sync_to_async(upload)("grace", circle_id, png(), "grace.png")
    client_id = str(uuid.uuid4())
    await send(kofi, "look", [theirs], client_id)
    error = await kofi.next("error")
    assert error["client_id"] == client_id
    assert error["code"] == "not_found"
    assert await sync_to_async(Message.objects.count)() == 0
    await kofi.socket.close()
