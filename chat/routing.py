"""WebSocket routes of the rooms."""

from __future__ import annotations

from django.urls import URLPattern, path

from chat import consumers, session_consumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/circles/<int:object_id>/", consumers.CircleConsumer.as_asgi()),
    path("ws/threads/<int:object_id>/", consumers.ThreadConsumer.as_asgi()),
    path("ws/sessions/<int:object_id>/", session_consumer.SessionConsumer.as_asgi()),
]
