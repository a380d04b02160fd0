"""Chat reads: messages in the protocol's shape, history pages, sync pages, unread counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from chat.models import Attachment, Message, Reaction, ReadMarker, Room
from coaching.accounts.models import User

# Messages per database call of a `sync` replay: the longest any other socket of the process waits behind one.
SYNC_PAGE = 200
# How a message's files are loaded with it (in upload order), where a message is loaded as a model (the send
# path's messages with files); history and sync pages load their files by seq range instead (`_payloads`).
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
    return _payload(vars(message), author=message.author, reactions=reactions, files=_loaded_files(message))


def _payload(
    row: Mapping[str, Any],
    *,
    author: User,
    reactions: dict[str, list[int]] | None,
    files: Sequence[Attachment] = (),
) -> dict[str, Any]:
    # A message's columns by attribute name: a model instance's or a `.values(*_COLUMNS)` row.
    withheld = row["hidden_at"] is not None  # a hidden message keeps its place, not its text
    payload: dict[str, Any] = {
        "id": row["id"],
        "seq": row["seq"],
        "client_id": str(row["client_id"]),
        "author": {"id": author.pk, "username": author.username, "display_name": author.name},
        "body": "" if withheld else row["body"],
        "html": "" if withheld else row["html"],
        "reply_to": row["reply_to_id"],
        "created_at": row["created_at"].astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }
    if files and not withheld and row["deleted_at"] is None:  # a withdrawn message's files go with its text
        payload["attachments"] = [attachment_payload(a) for a in files]
    if row["edited_at"] is not None:
        payload["edited_at"] = row["edited_at"].astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if row["deleted_at"] is not None:
        payload["deleted"] = True
    if withheld:
        payload["hidden"] = True
    if reactions is not None:
        payload["reactions"] = reactions
    return payload


_COLUMNS = (
    "id", "seq", "client_id", "author_id", "body", "html", "reply_to_id",
    "created_at", "edited_at", "deleted_at", "hidden_at",
)  # fmt: skip


def _payloads(room: Room, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `_COLUMNS` in seq order as payloads with their reactions and files, in three more queries."""
    if not rows:
        return []
    # The page's few authors once, and its reactions by seq range: a model instance per row and an IN list
    # of ids would cost the process's one database thread several times as much.
    authors = User.objects.in_bulk({row["author_id"] for row in rows})
    reactions: dict[int, dict[str, list[int]]] = {row["id"]: {} for row in rows}
    for message_id, emoji, user_id in (
        Reaction.objects.filter(
            message__room=room, message__seq__gte=rows[0]["seq"], message__seq__lte=rows[-1]["seq"]
        )
        .order_by("id")
        .values_list("message_id", "emoji", "user_id")
    ):
        reactions[message_id].setdefault(emoji, []).append(user_id)
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(
        room=room, message__seq__gte=rows[0]["seq"], message__seq__lte=rows[-1]["seq"]
    ).order_by("id"):
        files.setdefault(attachment.message_id or 0, []).append(attachment)
    return [
        _payload(
            row,
            author=authors[row["author_id"]],
            reactions=reactions[row["id"]],
            files=files.get(row["id"], ()),
        )
        for row in rows
    ]


def messages_after(
    *, room: Room, after_seq: int, limit: int = 200, through_seq: int | None = None
) -> list[dict[str, Any]]:
    """Up to `limit` messages with seq > after_seq (and <= through_seq), in order (keyset on room + seq)."""
    messages = Message.objects.filter(room=room, seq__gt=after_seq)
    if through_seq is not None:
        messages = messages.filter(seq__lte=through_seq)
    return _payloads(room, list(messages.order_by("seq").values(*_COLUMNS)[:limit]))


def messages_before(*, room: Room, before_seq: int, limit: int = 50) -> list[dict[str, Any]]:
    """Up to `limit` messages with seq < before_seq, oldest first (keyset on room + seq)."""
    rows = Message.objects.filter(room=room, seq__lt=before_seq).order_by("-seq").values(*_COLUMNS)[:limit]
    return _payloads(room, list(rows)[::-1])


def last_seq(*, room_id: int) -> int:
    """The room's newest sequence number."""
    return int(Room.objects.values_list("last_seq", flat=True).get(pk=room_id))


@dataclass(frozen=True)
class SyncPage:
    """A page of a `sync` replay: its messages in order, where the replay ends, whether it is the last."""

    messages: list[dict[str, Any]]
    through_seq: int
    last: bool


def sync_page(*, room: Room, after_seq: int, through_seq: int | None = None) -> SyncPage:
    """Up to SYNC_PAGE messages with after_seq < seq <= through_seq, in order: one bounded database call.

    The first page (through_seq None) fixes the replay's end at the room's last seq now, so a replay ends even
    while people keep writing; what commits later reaches the socket live. Seqs are gap-free and a message
    commits with the room's `last_seq`, so every seq up to that end is there to read.
    """
    if through_seq is None:
        through_seq = last_seq(room_id=room.pk)
    if after_seq >= through_seq:
        return SyncPage(messages=[], through_seq=through_seq, last=True)
    payloads = messages_after(room=room, after_seq=after_seq, through_seq=through_seq, limit=SYNC_PAGE)
    if not payloads:
        return SyncPage(messages=[], through_seq=through_seq, last=True)
    # A short page also ends the replay: nothing to wait for if rows were ever missing.
    last = payloads[-1]["seq"] >= through_seq or len(payloads) < SYNC_PAGE
    return SyncPage(messages=payloads, through_seq=through_seq, last=last)


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
