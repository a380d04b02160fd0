"""The ASGI application: HTTP through Django, WebSockets only from allowed origins."""

from __future__ import annotations

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator

from coaching.asgi import application


@pytest.mark.django_db(transaction=True)
async def test_it_serves_http_through_django():
    response = await HttpCommunicator(
        application, "GET", "/healthz", headers=[(b"host", b"127.0.0.1")]
    ).get_response(timeout=10)  # the first request in a process loads the URLconf and more
    assert response["status"] == 200


# Consumers, even the one that refuses, tidy database connections on every event.
@pytest.mark.django_db(transaction=True)
async def test_it_refuses_a_websocket_from_a_foreign_origin():
    communicator = WebsocketCommunicator(
        application, "/ws/anything/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_refuses_a_websocket_without_an_origin():
    communicator = WebsocketCommunicator(application, "/ws/anything/")
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()
