"""Baseline "tutorial": the Channels tutorial's room consumer on the Redis layer; nothing is stored.

Run: `daphne bench.baselines.tutorial:application` with BENCH_REDIS_URL set. Each client frame
`{"message": "..."}` is decoded, sent to the room group with `group_send`, and every group event is
encoded again and sent to its socket, sender included.
"""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baselines.settings")

from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402


class ChatConsumer(AsyncWebsocketConsumer):
    """A socket in a room: what the tutorial writes."""

    async def connect(self) -> None:
        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        self.room_group_name = f"chat_{self.room_name}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")["message"]
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "chat.message", "message": message}
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        """Send a room event to this socket."""
        await self.send(text_data=json.dumps({"message": event["message"]}))


def make_application(consumer: type[AsyncWebsocketConsumer]) -> ProtocolTypeRouter:
    """The tutorial's ASGI stack (origin check, session auth, one route) around a consumer."""
    return ProtocolTypeRouter(
        {
            "http": django_application,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter([path("ws/chat/<str:room_name>/", consumer.as_asgi())]))
            ),
        }
    )


application = make_application(ChatConsumer)
