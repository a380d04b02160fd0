"""WebSocket route of a person's own socket (coaching.asgi adds it to the others)."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.notifications import consumers

websocket_urlpatterns: list[URLPattern] = [path("ws/me/", consumers.PersonConsumer.as_asgi())]
