"""Rooms and what is said in them: messages with a gap-free per-room seq, edits, reactions, reads, reports,
attachments."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from circles.models import Circle


class Room(models.Model):
    """Where messages live: a circle's room or a 1:1 coach–member thread; `last_seq` numbers its messages."""

    class Kind(models.TextChoices):
        CIRCLE = "circle", _("circle")
        THREAD = "thread", _("thread")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    circle = models.OneToOneField(
        Circle, on_delete=models.CASCADE, null=True, blank=True, related_name="room"
    )
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        """The room's name in the protocol, e.g. "circle:7" or "thread:3"."""
        return f"circle:{self.circle_id}" if self.kind == self.Kind.CIRCLE else f"thread:{self.thread.pk}"


class Thread(models.Model):
    """A private 1:1 conversation between a coach and one member they coach."""

    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="thread")
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("coach")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        constraints = [models.UniqueConstraint(fields=["coach", "member"], name="one_thread_per_pair")]

    def __str__(self) -> str:
        return f"{self.coach} ↔ {self.member}"


class Message(models.Model):
    """One message; `seq` grows by exactly one per room, `(author, client_id)` makes sends idempotent."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField()
    body = models.TextField()
    html = models.TextField()
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    # Messages written during a live session belong to the circle's history, tagged with the session.
    session = models.ForeignKey(
        "live.LiveSession", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    # The author's site language when they sent it: it picks the stemmer of the message's search document
    # (chat/search.py; on PostgreSQL the generated, GIN-indexed column `search_document`, not a field here).
    language = models.CharField(max_length=8, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_seq_unique_in_room"),
            models.UniqueConstraint(
                fields=["author", "client_id"], name="message_client_id_unique_per_author"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"


class MessageEdit(models.Model):
    """A previous text of an edited message, kept as its history."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField()
    html = models.TextField()
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self) -> str:
        return f"earlier text of {self.message_id}"


class Reaction(models.Model):
    """One person's emoji on one message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user", "emoji"], name="one_reaction_each")]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class Mention(models.Model):
    """A person named with @ in a message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="one_mention_each")]

    def __str__(self) -> str:
        return f"@{self.user_id} in {self.message_id}"


class ReadMarker(models.Model):
    """How far a person has read in a room; it only moves forward."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="read_markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="one_read_marker_each")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.room_id} to {self.seq}"


class Mute(models.Model):
    """A coach's decision that a member may not post in a room until a time."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id} muted in {self.room_id} until {self.until:%Y-%m-%d %H:%M}"


class Report(models.Model):
    """A member's report of one message to the programme admins, with a copy of that message's text only."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    text = models.TextField(_("reported text"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_person")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"report of {self.message_id} ({self.status})"


def attachment_storage() -> Storage:
    """The storage the attachments live in (settings.STORAGES["attachments"]: local files or S3)."""
    return storages["attachments"]


class Attachment(models.Model):
    """A file shared in a room: uploaded unbound (`message` empty) by its uploader, then bound by one send.

    `key` names it in frames and URLs; the stored file's name is random and says nothing about the upload.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("image")
        AUDIO = "audio", _("audio")
        FILE = "file", _("file")

    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="attachments")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(storage=attachment_storage, max_length=200)
    thumb = models.FileField(storage=attachment_storage, max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["room", "-created_at"], name="attachment_room_newest")]

    def __str__(self) -> str:
        return f"{self.name} in {self.room_id}"
