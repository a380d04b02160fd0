"""The one table of tutorial+db: each chat message as it arrived."""

from __future__ import annotations

from django.db import models


class ChatMessage(models.Model):
    """One stored message of a tutorial room."""

    room = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects: models.Manager[ChatMessage] = models.Manager()

    def __str__(self) -> str:
        return f"{self.room}: {self.body[:20]}"
