"""Chat reads: messages in the protocol's shape, history pages, sync batches, unread counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from chat.models import Attachment, Message, Reaction, ReadMarker, Room
from coaching.accounts.models import User

SYNC_BATCH = 200
# How a message's files are loaded with it (in upload order): history pages and chat.sending use it.
FILES = Prefetch("attachments", queryset=Attachment.objects.order_by("id"))


def attachment_payload(attachment: Attachment) -> dict[str, Any]:
    """A file in the protocol's shape: what a card or a thumbnail shows, and where to fetch it."""
    return {
        "id": str(attachment.key),
        "name": attachment.name,
        "type": attachment.content_type,
        "kind": attachment.kind,
        "size": attachment.size,
        "url": reverse("chat_file", args=[attachment.key]),
        "thumb_url": reverse("chat_file_thumb", args=[attachment.key]) if attachment.thumb else None,
        "width": attachment.width,
        "height": attachment.height,
    }


def _loaded_files(message: Message) -> list[Attachment]:
    """The message's files if they were loaded with it (selectors.FILES), else none: never a query here."""
    # Django keeps prefetched rows in this cache; a message loaded without FILES (the send path's file-less
    # messages, edits) has no entry, and asking the related manager would cost a query per message.
    cache: dict[str, Any] = getattr(message, "_prefetched_objects_cache", {})
    return list(cache.get("attachments", ()))


def message_payload(message: Message, *, reactions: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """A message in the protocol's shape (author must be loaded; its files, if loaded with FILES)."""
    author = message.author
    withheld = message.hidden_at is not None  # a hidden message keeps its place, not its text
    payload: dict[str, Any] = {
        "id": message.pk,
        "seq": message.seq,
        "client_id": str(message.client_id),
        "author": {"id": author.pk, "username": author.username, "display_name": author.name},
        "body": "" if withheld else message.body,
        "html": "" if withheld else message.html,
        "reply_to": message.reply_to_id,
        "created_at": message.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }
    files = [] if withheld or message.deleted_at is not None else _loaded_files(message)
    if files:
        payload["attachments"] = [attachment_payload(a) for a in files]
    if message.edited_at is not None:
        payload["edited_at"] = message.edited_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if message.deleted_at is not None:
        payload["deleted"] = True
    if message.hidden_at is not None:
        payload["hidden"] = True
    if reactions is not None:
        payload["reactions"] = reactions
    return payload


def _reactions_of(messages: list[Message]) -> dict[int, dict[str, list[int]]]:
    summary: dict[int, dict[str, list[int]]] = {m.pk: {} for m in messages}
    for message_id, emoji, user_id in (
        Reaction.objects.filter(message__in=messages)
        .order_by("id")
        .values_list("message_id", "emoji", "user_id")
    ):
        summary[message_id].setdefault(emoji, []).append(user_id)
    return summary


def messages_after(*, room: Room, after_seq: int, limit: int = 200) -> list[dict[str, Any]]:
    """Up to `limit` messages with seq > after_seq, in order (keyset on room + seq)."""
    messages = list(
        Message.objects.select_related("author")
        .prefetch_related(FILES)
        .filter(room=room, seq__gt=after_seq)
        .order_by("seq")[:limit]
    )
    reactions = _reactions_of(messages)
    return [message_payload(m, reactions=reactions[m.pk]) for m in messages]


def messages_before(*, room: Room, before_seq: int, limit: int = 50) -> list[dict[str, Any]]:
    """Up to `limit` messages with seq < before_seq, oldest first (keyset on room + seq)."""
    messages = list(
        Message.objects.select_related("author")
        .prefetch_related(FILES)
        .filter(room=room, seq__lt=before_seq)
        .order_by("-seq")[:limit]
    )[::-1]
    reactions = _reactions_of(messages)
    return [message_payload(m, reactions=reactions[m.pk]) for m in messages]


def last_seq(*, room_id: int) -> int:
    """The room's newest sequence number."""
    return int(Room.objects.values_list("last_seq", flat=True).get(pk=room_id))


def sync_frames(*, room_id: int, after_seq: int) -> list[dict[str, Any]]:
    """Every message after `after_seq` as `message.new` frames, in order, then `sync.done`."""
    room = Room.objects.get(pk=room_id)
    frames: list[dict[str, Any]] = []
    cursor = after_seq
    while True:
        batch = messages_after(room=room, after_seq=cursor, limit=SYNC_BATCH)
        frames.extend({"type": "message.new", "message": message} for message in batch)
        if len(batch) < SYNC_BATCH:
            break
        cursor = batch[-1]["seq"]
    frames.append(
        {"type": "sync.done", "last_seq": frames[-1]["message"]["seq"] if len(frames) else after_seq}
    )
    return frames


def read_seq(*, user: User, room: Room) -> int:
    """The seq of the last message the person has read in the room (0 before any)."""
    return ReadMarker.objects.filter(room=room, user=user).values_list("seq", flat=True).first() or 0


def unread_count(*, user: User, room: Room) -> int:
    """Messages by others after the person's read marker."""
    return (
        Message.objects.filter(room=room, seq__gt=read_seq(user=user, room=room), deleted_at__isnull=True)
        .exclude(author=user)
        .count()
    )
