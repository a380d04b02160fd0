"""Chat write paths: post, edit, delete, react, read, moderate. Broadcasts go out after commit."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chat import events
from chat.access import is_room_coach, room_people
from chat.errors import ChatError
from chat.models import Mention, Message, MessageEdit, Mute, Reaction, ReadMarker, Report, Room
from chat.render import render
from coaching.accounts.models import User

MAX_BODY = 4000
MAX_EMOJI = 32


def message_payload(message: Message, *, reactions: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """A message in the protocol's shape (author must be loaded)."""
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
    if message.edited_at is not None:
        payload["edited_at"] = message.edited_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if message.deleted_at is not None:
        payload["deleted"] = True
    if message.hidden_at is not None:
        payload["hidden"] = True
    if reactions is not None:
        payload["reactions"] = reactions
    return payload


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ChatError("invalid_frame", _("A message cannot be empty."))
    if len(body) > MAX_BODY:
        raise ChatError("too_long", _("A message can be at most %(max)d characters.") % {"max": MAX_BODY})
    return body


_INSERT_WITH_NEXT_SEQ = """
    WITH next AS (UPDATE chat_room SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq)
    INSERT INTO chat_message
        (room_id, seq, author_id, client_id, body, html, reply_to_id, created_at, session_id)
    SELECT %s, next.last_seq, %s, %s, %s, %s, %s, %s, %s FROM next
    RETURNING id, seq
"""


def _insert(message: Message) -> None:
    """Give the message the room's next seq and store it (inside a transaction, except on PostgreSQL).

    The UPDATE takes the room's row lock until commit, so concurrent senders get 1, 2, 3… with no gap;
    a failed insert rolls the increment back with it. On PostgreSQL both happen in one statement.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _INSERT_WITH_NEXT_SEQ,
                [
                    message.room_id,
                    message.room_id,
                    message.author_id,
                    message.client_id,
                    message.body,
                    message.html,
                    message.reply_to_id,
                    message.created_at,
                    message.session_id,
                ],
            )
            message.pk, message.seq = cursor.fetchone()
            message._state.adding = False
            return
        cursor.execute(
            "UPDATE chat_room SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq", [message.room_id]
        )
        message.seq = int(cursor.fetchone()[0])
    message.save(force_insert=True)


@dataclass(frozen=True)
class Posted:
    """The stored message and whether this call created it (False: an idempotent repeat)."""

    message: Message
    created: bool


@dataclass(frozen=True)
class Send:
    """One message to post, as `post_message` takes it; `language` is the one its refusal speaks."""

    author: User
    room: Room
    client_id: uuid.UUID
    body: str
    reply_to: int | None = None
    session_id: int | None = None
    language: str | None = None


def speaking(language: str | None) -> contextlib.AbstractContextManager[None]:
    """Translations in `language` inside the block (the active language when None)."""
    # A batch holds sends of people who read different languages: each refusal speaks its sender's.
    return translation.override(language) if language else contextlib.nullcontext()


def _repeat(author: User, room: Room, client_id: uuid.UUID, body: str) -> Posted | None:
    existing = Message.objects.select_related("author").filter(author=author, client_id=client_id).first()
    if existing is None:
        return None
    if existing.room_id != room.pk or existing.body != body:
        raise ChatError("conflict", _("This message id was already used for a different message."))
    return Posted(existing, created=False)


@functools.cache
def _shared_cache() -> BaseCache:
    # One cache client for the process: `django.core.cache.cache` is per async context, which gave every
    # socket its own Redis connection pool.
    return caches.create_connection("default")


def _mutes_key(room_id: int) -> str:
    return f"chat:mutes:{room_id}"


def _room_mutes(room_ids: set[int]) -> dict[int, dict[int, dt.datetime]]:
    """Each room's active mutes (user id -> until): one cache round trip, the database for rooms it lacks."""
    # Mutes are rare and read on every send: keep each room's active mutes in the shared cache.
    keys = {room_id: _mutes_key(room_id) for room_id in room_ids}
    cached = _shared_cache().get_many(list(keys.values()))
    mutes = {room_id: cached[key] for room_id, key in keys.items() if key in cached}
    missing = room_ids - mutes.keys()
    if missing:
        fresh: dict[int, dict[int, dt.datetime]] = {room_id: {} for room_id in missing}
        for room_id, user_id, until in Mute.objects.filter(
            room_id__in=missing, until__gt=timezone.now()
        ).values_list("room_id", "user_id", "until"):
            fresh[room_id][user_id] = max(until, fresh[room_id].get(user_id, until))
        _shared_cache().set_many({keys[room_id]: found for room_id, found in fresh.items()}, timeout=60)
        mutes.update(fresh)
    return mutes


def _check_not_muted(*, user: User, mutes: dict[int, dt.datetime]) -> None:
    muted_until = mutes.get(user.pk)
    if muted_until is not None and muted_until > timezone.now():
        until = timezone.localtime(muted_until, user.zone)
        today = timezone.localtime(timezone.now(), user.zone).date()
        shown = until.strftime("%H:%M") if until.date() == today else until.strftime("%Y-%m-%d %H:%M")
        raise ChatError(
            "forbidden", _("The coach has paused your messages here until %(time)s.") % {"time": shown}
        )


class _Lookups:
    """What checking a batch of sends reads: each read once for the whole batch, and only if needed."""

    def __init__(self, sends: Sequence[Send]) -> None:
        self.sends = sends
        self.people_by_room: dict[int, dict[str, User]] = {}

    @functools.cached_property
    def mutes(self) -> dict[int, dict[int, dt.datetime]]:
        return _room_mutes({send.room.pk for send in self.sends})

    @functools.cached_property
    def reply_rooms(self) -> dict[int, int]:
        """The room of each message replied to."""
        ids = {send.reply_to for send in self.sends if send.reply_to is not None}
        return dict(Message.objects.filter(pk__in=ids).values_list("pk", "room_id"))

    def people(self, room: Room) -> dict[str, User]:
        """The room's people by username (to resolve @mentions)."""
        if room.pk not in self.people_by_room:
            self.people_by_room[room.pk] = {person.username: person for person in room_people(room)}
        return self.people_by_room[room.pk]


@dataclass(frozen=True)
class _Draft:
    """A send that passed the checks, rendered, ready to store."""

    send: Send
    body: str
    html: str
    mentioned: tuple[User, ...]
    created_at: dt.datetime

    def message(self) -> Message:
        """A new unsaved Message (a fresh one for each attempt to store it)."""
        send = self.send
        return Message(
            room=send.room,
            author=send.author,
            client_id=send.client_id,
            body=self.body,
            html=self.html,
            reply_to_id=send.reply_to,
            session_id=send.session_id,
            created_at=self.created_at,
        )


def _prepare(send: Send, lookups: _Lookups) -> _Draft:
    """Check and render one send; ChatError (invalid_frame, too_long, forbidden, not_found) if refused."""
    body = _clean_body(send.body)
    _check_not_muted(user=send.author, mutes=lookups.mutes.get(send.room.pk, {}))
    if send.reply_to is not None and lookups.reply_rooms.get(send.reply_to) != send.room.pk:
        raise ChatError("not_found", _("The message you reply to is not in this room."))
    # The people of the room are only needed to resolve @mentions.
    people = lookups.people(send.room) if "@" in body else {}
    rendered = render(body, people=people)
    mentioned = tuple(people[name] for name in rendered.mentions)
    return _Draft(send, body, rendered.html, mentioned, timezone.now())


def _store(message: Message, mentioned: tuple[User, ...]) -> None:
    _insert(message)
    Mention.objects.bulk_create([Mention(message=message, user=user) for user in mentioned])
    events.broadcast_frame_on_commit(
        message.room_id, {"type": "message.new", "message": message_payload(message)}
    )


def _write(draft: _Draft) -> Posted:
    """Store one message in its own transaction; a taken (author, client_id) answers with the original."""
    message = draft.message()
    # The common case on PostgreSQL is one autocommitted statement; mentions (and SQLite, and callers already
    # inside a transaction, who need a savepoint) take a transaction.
    single_statement = (
        connection.vendor == "postgresql" and not draft.mentioned and not connection.in_atomic_block
    )
    try:
        with contextlib.nullcontext() if single_statement else transaction.atomic():
            _store(message, draft.mentioned)
    except IntegrityError:
        # (author, client_id) is taken: a resend, or two identical sends racing. Answer with the original.
        repeat = _repeat(draft.send.author, draft.send.room, draft.send.client_id, draft.body)
        if repeat is None:
            raise
        return repeat
    draft.send.room.last_seq = message.seq
    return Posted(message, created=True)


_LOCK_ROOMS = "SELECT id FROM chat_room WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
_INSERT_BATCH = """
    WITH batch AS (
        SELECT * FROM unnest(
            %s::bigint[], %s::bigint[], %s::uuid[], %s::text[], %s::text[], %s::bigint[], %s::timestamptz[],
            %s::bigint[]
        ) WITH ORDINALITY
            AS b(room_id, author_id, client_id, body, html, reply_to_id, created_at, session_id, ord)
    ), counts AS (
        SELECT room_id, count(*) AS n FROM batch GROUP BY room_id
    ), next AS (
        UPDATE chat_room AS r SET last_seq = r.last_seq + counts.n FROM counts WHERE r.id = counts.room_id
        RETURNING r.id, r.last_seq - counts.n AS base
    )
    INSERT INTO chat_message
        (room_id, seq, author_id, client_id, body, html, reply_to_id, created_at, session_id)
    SELECT b.room_id, next.base + row_number() OVER (PARTITION BY b.room_id ORDER BY b.ord), b.author_id,
        b.client_id, b.body, b.html, b.reply_to_id, b.created_at, b.session_id
    FROM batch AS b JOIN next ON next.id = b.room_id
    RETURNING id, seq, author_id, client_id
"""


def _insert_batch(messages: list[Message]) -> None:
    """PostgreSQL: store messages (sorted by room) with each room's next seqs, in one round trip.

    The room rows are locked in id order first, so two processes writing batches never deadlock; within a
    room the seqs follow the list's order.
    """
    columns = ("room_id", "author_id", "client_id", "body", "html", "reply_to_id", "created_at", "session_id")
    with connection.cursor() as cursor:
        # Both statements in one round trip (Django's psycopg cursors bind parameters on the client side).
        cursor.execute(
            _LOCK_ROOMS + ";" + _INSERT_BATCH,
            [sorted({m.room_id for m in messages}), *([getattr(m, c) for m in messages] for c in columns)],
        )
        cursor.nextset()  # past the locked room ids, to the inserted rows
        stored = {(author_id, client_id): (pk, seq) for pk, seq, author_id, client_id in cursor.fetchall()}
    for message in messages:
        message.pk, message.seq = stored[(message.author_id, message.client_id)]
        message._state.adding = False


def _write_all(drafts: list[_Draft]) -> list[Posted]:
    """Store every draft in one transaction (one commit); any database error rolls them all back."""
    # Rooms in id order: two processes writing batches for the same rooms take the room locks in one order,
    # so they never deadlock. Within a room the sends keep their order, and so do the seqs and broadcasts.
    order = sorted(range(len(drafts)), key=lambda i: drafts[i].send.room.pk)
    messages = {i: drafts[i].message() for i in order}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _insert_batch([messages[i] for i in order])
        else:
            for i in order:
                _insert(messages[i])
        Mention.objects.bulk_create(
            [Mention(message=messages[i], user=user) for i in order for user in drafts[i].mentioned]
        )
        events.broadcast_frames_on_commit(
            [
                (messages[i].room_id, {"type": "message.new", "message": message_payload(messages[i])})
                for i in order
            ]
        )
    for i in order:
        drafts[i].send.room.last_seq = messages[i].seq
    return [Posted(messages[i], created=True) for i in range(len(drafts))]


def post_messages(*, sends: Sequence[Send]) -> list[Posted | Exception]:
    """Post many messages: per send what `post_message` would return or raise; the new ones in one commit."""
    # Fast in the common case, correct always: a taken client_id (a repeat, within the batch or of an earlier
    # send) or any other database error rolls the whole batch back, and its sends are then stored one by one,
    # each answered exactly as `post_message` answers it.
    lookups = _Lookups(sends)
    results: dict[int, Posted | Exception] = {}
    drafts: dict[int, _Draft] = {}
    for i, send in enumerate(sends):
        with speaking(send.language):
            try:
                drafts[i] = _prepare(send, lookups)
            except ChatError as error:
                results[i] = error
    if len(drafts) > 1:
        try:
            results.update(zip(drafts, _write_all(list(drafts.values())), strict=True))
            drafts = {}
        except DatabaseError:
            pass  # rolled back: nothing was stored or broadcast
    for i, draft in drafts.items():
        with speaking(draft.send.language):
            try:
                results[i] = _write(draft)
            except (ChatError, DatabaseError) as error:
                results[i] = error
    return [results[i] for i in range(len(sends))]


def post_message(
    *,
    author: User,
    room: Room,
    client_id: uuid.UUID,
    body: str,
    reply_to: int | None = None,
    session_id: int | None = None,
) -> Posted:
    """Store a message (idempotent per author + client_id); the room hears `message.new` after commit."""
    send = Send(
        author=author, room=room, client_id=client_id, body=body, reply_to=reply_to, session_id=session_id
    )
    (result,) = post_messages(sends=[send])
    if isinstance(result, Exception):
        raise result
    return result


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
        Message.objects.select_related("author").filter(room=room, seq__gt=after_seq).order_by("seq")[:limit]
    )
    reactions = _reactions_of(messages)
    return [message_payload(m, reactions=reactions[m.pk]) for m in messages]


def messages_before(*, room: Room, before_seq: int, limit: int = 50) -> list[dict[str, Any]]:
    """Up to `limit` messages with seq < before_seq, oldest first (keyset on room + seq)."""
    messages = list(
        Message.objects.select_related("author")
        .filter(room=room, seq__lt=before_seq)
        .order_by("-seq")[:limit]
    )[::-1]
    reactions = _reactions_of(messages)
    return [message_payload(m, reactions=reactions[m.pk]) for m in messages]


def _message_in(room: Room, message_id: int) -> Message:
    message = Message.objects.select_related("author").filter(pk=message_id, room=room).first()
    if message is None:
        raise ChatError("not_found", _("There is no such message in this room."))
    return message


def edit_message(*, user: User, room: Room, message_id: int, body: str) -> Message:
    """The author rewrites their message within the edit window; the old text goes to the history."""
    body = _clean_body(body)
    with transaction.atomic():
        message = _message_in(room, message_id)
        if message.author_id != user.pk:
            raise ChatError("forbidden", _("Only the author can edit a message."))
        if message.deleted_at or message.hidden_at:
            raise ChatError("forbidden", _("This message can no longer be edited."))
        window = dt.timedelta(seconds=settings.CHAT_EDIT_WINDOW_SECONDS)
        if timezone.now() - message.created_at > window:
            raise ChatError(
                "forbidden",
                _("Messages can be edited for %(minutes)d minutes after sending.")
                % {"minutes": window.total_seconds() // 60},
            )
        if body == message.body:
            return message
        MessageEdit.objects.create(message=message, body=message.body, html=message.html)
        people = {person.username: person for person in room_people(room)}
        rendered = render(body, people=people)
        message.body, message.html, message.edited_at = body, rendered.html, timezone.now()
        message.save(update_fields=["body", "html", "edited_at"])
        events.broadcast_frame_on_commit(
            room.pk, {"type": "message.updated", "message": message_payload(message)}
        )
    return message


def delete_message(*, user: User, room: Room, message_id: int) -> Message:
    """The author, or the room's coach, deletes a message; a tombstone keeps its place in the sequence."""
    with transaction.atomic():
        message = _message_in(room, message_id)
        if message.author_id != user.pk and not is_room_coach(user=user, room=room):
            raise ChatError("forbidden", _("Only the author or the coach can delete a message."))
        if message.deleted_at is None:
            message.body, message.html, message.deleted_at = "", "", timezone.now()
            message.save(update_fields=["body", "html", "deleted_at"])
            message.edits.all().delete()
            events.broadcast_frame_on_commit(
                room.pk, {"type": "message.updated", "message": message_payload(message)}
            )
    return message


def _clean_emoji(emoji: str) -> str:
    emoji = emoji.strip()
    if (
        not emoji
        or len(emoji) > MAX_EMOJI
        or any(c.isascii() and (c.isalnum() or c in "<>&\"'") for c in emoji)
    ):
        raise ChatError("invalid_frame", _("That is not an emoji."))
    return emoji


def react(*, user: User, room: Room, message_id: int, emoji: str, add: bool) -> bool:
    """Add or remove the person's emoji on a message; True when something changed."""
    emoji = _clean_emoji(emoji)
    with transaction.atomic():
        message = _message_in(room, message_id)
        if message.deleted_at:
            raise ChatError("forbidden", _("This message was deleted."))
        if add:
            changed = Reaction.objects.get_or_create(message=message, user=user, emoji=emoji)[1]
        else:
            changed = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()[0] > 0
        if changed:
            events.broadcast_frame_on_commit(
                room.pk,
                {
                    "type": "reaction",
                    "message_id": message.pk,
                    "emoji": emoji,
                    "user": user.pk,
                    "op": "add" if add else "remove",
                },
            )
    return changed


def mark_read(*, user: User, room: Room, seq: int) -> int:
    """Move the person's read marker forward to `seq` (never backwards, never past the last message)."""
    seq = min(seq, Room.objects.values_list("last_seq", flat=True).get(pk=room.pk))
    marker = ReadMarker.objects.get_or_create(room=room, user=user)[0]
    if seq > marker.seq:
        ReadMarker.objects.filter(pk=marker.pk, seq__lt=seq).update(seq=seq)
        return seq
    return marker.seq


def unread_count(*, user: User, room: Room) -> int:
    """Messages by others after the person's read marker."""
    marker = ReadMarker.objects.filter(room=room, user=user).values_list("seq", flat=True).first() or 0
    return (
        Message.objects.filter(room=room, seq__gt=marker, deleted_at__isnull=True)
        .exclude(author=user)
        .count()
    )


def hide_message(*, user: User, room: Room, message_id: int) -> Message:
    """The coach hides a message from the room (moderation); it stays in the sequence, without its text."""
    if not is_room_coach(user=user, room=room):
        raise ChatError("forbidden", _("Only the coach can hide messages."))
    with transaction.atomic():
        message = _message_in(room, message_id)
        if message.hidden_at is None:
            message.hidden_at = timezone.now()
            message.save(update_fields=["hidden_at"])
            events.broadcast_frame_on_commit(
                room.pk, {"type": "message.updated", "message": message_payload(message)}
            )
    return message


def mute_member(*, user: User, room: Room, member: User, minutes: int) -> Mute:
    """The coach pauses a member's posting in the room for a set time."""
    if not is_room_coach(user=user, room=room):
        raise ChatError("forbidden", _("Only the coach can mute someone."))
    if member.pk == user.pk or member not in room_people(room):
        raise ChatError("not_found", _("That person is not a member of this room."))
    if not 1 <= minutes <= 60 * 24 * 7:
        raise ChatError("invalid_frame", _("A mute lasts from 1 minute to 7 days."))
    mute = Mute.objects.create(
        room=room, user=member, muted_by=user, until=timezone.now() + dt.timedelta(minutes=minutes)
    )
    transaction.on_commit(lambda: _shared_cache().delete(_mutes_key(room.pk)))
    return mute


def report_message(*, user: User, room: Room, message_id: int, reason: str = "") -> Report:
    """A member reports a message to the programme admins; only that message's text goes with it."""
    message = _message_in(room, message_id)
    if message.deleted_at or message.hidden_at:
        # A hidden message's text must not travel on, not even to the admins.
        raise ChatError("not_found", _("This message is no longer shown."))
    defaults = {"reason": reason.strip()[:500], "text": message.body}
    try:
        with transaction.atomic():
            return Report.objects.get_or_create(message=message, reporter=user, defaults=defaults)[0]
    except IntegrityError:  # the same person reported twice at the same moment
        return Report.objects.get(message=message, reporter=user)
