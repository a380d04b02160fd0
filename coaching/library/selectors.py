"""Library reads: a room's pins and shared links (visible messages only) and a circle's notes and history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chat.models import Message, Room
from circles.models import Circle
from coaching.accounts.models import User
from coaching.library.links import links_in
from coaching.library.models import Note, NoteRevision, Pin

MAX_LINKS = 200
# The newest files the library lists at once (narrow by type or person to reach older ones).
MAX_FILES = 100
LINK_SCAN_BATCH = 500


def visible_pins(*, room: Room) -> list[Pin]:
    """The room's pins of messages still shown (not deleted, not hidden), newest pin first."""
    return list(
        Pin.objects.filter(room=room, message__deleted_at__isnull=True, message__hidden_at__isnull=True)
        .select_related("message", "message__author", "pinned_by")
        .order_by("-pinned_at", "-id")
    )


def pinned_by_message(*, room: Room) -> dict[int, int]:
    """Who pinned each pinned message still shown: message id -> the pinner's user id."""
    return dict(
        Pin.objects.filter(
            room=room, message__deleted_at__isnull=True, message__hidden_at__isnull=True
        ).values_list("message_id", "pinned_by_id")
    )


@dataclass(frozen=True)
class SharedLink:
    """One http(s) link found in a message still shown."""

    url: str
    message_id: int
    author: User
    shared_at: dt.datetime


def shared_links(*, room: Room, limit: int = MAX_LINKS) -> list[SharedLink]:
    """Up to `limit` links from the room's shown messages, newest message first (its links in order)."""
    found: list[SharedLink] = []
    shown = (
        Message.objects.filter(room=room, deleted_at__isnull=True, hidden_at__isnull=True)
        .filter(html__contains="href=")
        .select_related("author")
        .order_by("-seq")
    )
    before: int | None = None
    while len(found) < limit:
        batch = list((shown.filter(seq__lt=before) if before is not None else shown)[:LINK_SCAN_BATCH])
        for message in batch:
            found.extend(
                SharedLink(url, message.pk, message.author, message.created_at)
                for url in links_in(message.html)
            )
        if len(batch) < LINK_SCAN_BATCH:
            break
        before = batch[-1].seq
    return found[:limit]


def note_of(*, circle: Circle) -> Note | None:
    """The circle's notes row, if anyone saved notes yet."""
    return Note.objects.filter(circle=circle).first()


def current_revision(*, circle: Circle) -> NoteRevision | None:
    """The revision shown as the circle's notes now (the newest one)."""
    return (
        NoteRevision.objects.filter(note__circle=circle).select_related("author").order_by("-number").first()
    )


def revisions(*, circle: Circle) -> list[NoteRevision]:
    """Every revision of the circle's notes, newest first."""
    return list(NoteRevision.objects.filter(note__circle=circle).select_related("author").order_by("-number"))


def revision(*, circle: Circle, number: int) -> NoteRevision | None:
    """One revision of the circle's notes by its number."""
    return NoteRevision.objects.filter(note__circle=circle, number=number).select_related("author").first()
