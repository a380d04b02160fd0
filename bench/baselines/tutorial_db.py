"""Baseline "tutorial+db": the tutorial consumer, plus each message saved with the ORM before `group_send`.

Run: `daphne bench.baselines.tutorial_db:application` with BENCH_REDIS_URL and BENCH_DB_URL set (the
table comes from `django-admin migrate --run-syncdb`). Django's default settings: no persistent
connections, so every `database_sync_to_async` hop opens and closes one.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async

# isort: off
from bench.baselines.tutorial import ChatConsumer, make_application  # sets Django up first
from bench.baselines.models import ChatMessage

# isort: on


class SavingChatConsumer(ChatConsumer):
    """The tutorial consumer that stores every message before broadcasting it."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")["message"]
        await self.save_message(message)
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "chat.message", "message": message}
        )

    @database_sync_to_async
    def save_message(self, message: Any) -> None:
        """Store one message (runs in the sync thread)."""
        ChatMessage.objects.create(room=self.room_name, body=str(message))


application = make_application(SavingChatConsumer)
