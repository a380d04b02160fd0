"""WebSocket routes; the chat, thread and session rooms join this list as they are built."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
