"""WebSocket routes of the chat rooms (coaching.asgi adds the live sessions' own)."""

from __future__ import annotations

from django.urls import URLPattern, path

from chat import consumers

websocket_urlpatterns: list[URLPattern] = [
    path("ws/circles/<int:object_id>/", consumers.CircleConsumer.as_asgi()),
    path("ws/threads/<int:object_id>/", consumers.ThreadConsumer.as_asgi()),
]
