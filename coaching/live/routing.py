"""WebSocket routes of the live sessions (coaching.asgi adds chat's)."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.live import consumers

websocket_urlpatterns: list[URLPattern] = [
    path("ws/sessions/<int:object_id>/", consumers.SessionConsumer.as_asgi()),
]
