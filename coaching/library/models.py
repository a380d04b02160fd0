"""The library's rows: a pinned message of a circle's chat, a circle's notes and every revision of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chat.models import Message, Room
from circles.models import Circle
from coaching.lib.models import AppendOnlyModel


class Pin(models.Model):
    """A message of a room kept in view in its library; one pin per message, whoever pinned it first."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="+")
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pinned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pin")
        verbose_name_plural = _("pins")
        indexes = [models.Index(fields=["room", "-pinned_at"], name="pin_room_newest")]

    def __str__(self) -> str:
        return f"pin of {self.message_id}"


class Note(models.Model):
    """A circle's shared notes; `head` is the number of the current revision (0 before the first)."""

    circle = models.OneToOneField(Circle, on_delete=models.CASCADE, related_name="+")
    head = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("circle notes")
        verbose_name_plural = _("circle notes")

    def __str__(self) -> str:
        return f"notes of circle {self.circle_id} at {self.head}"


class NoteRevision(AppendOnlyModel):
    """One saved text of a circle's notes, never changed: `base` is the revision its author started from.

    A revision whose `base` is not `number - 1` was written while someone else saved: both are kept.
    """

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    base = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("revision of circle notes")
        verbose_name_plural = _("revisions of circle notes")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="one_revision_number_per_note")
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of note {self.note_id}"

    @property
    def conflicted(self) -> bool:
        """Whether someone else saved between this revision's base and it."""
        return self.base != self.number - 1
