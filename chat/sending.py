"""The one way to post chat messages: `send_messages`, for the socket (through chat.writer), tests, demo data
and benchmarks alike.

Each send goes `check_send_message` (rate limit, body, mute, reply target, its files; access was checked
when the socket or page opened the room) → `do_send_messages` (the passing ones in one transaction, one
statement on PostgreSQL) → one `send_event_on_commit` with every new message's `message.new` frame, and,
after the same commit, one `chat.tasks.notify_about_message` enqueued per new message that can tell someone
(a mention, a reply, a 1:1 thread; chat.notifying). Plain circle messages enqueue nothing.

A send may name attachments (chat.attachments uploads): only its author's own unsent uploads in that room,
bound to the message in the same transaction that stores it. Messages without files pay nothing for this.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from redis.commands.core import Script

from chat import mutes, ratelimit, tasks
from chat.access import room_people
from chat.groups import room_group
from chat.models import Attachment, Mention, Message, Room
from chat.notifying import may_notify
from chat.selectors import FILES, message_payload
from coaching.accounts.models import User
from coaching.lib import redis as lib_redis
from coaching.lib.errors import ChatError
from coaching.lib.markdown import render
from coaching.lib.realtime import Event, frame_event, send_event_on_commit
from coaching.lib.text import clean_line, clean_text

MAX_BODY = 4000


@dataclass(frozen=True)
class Send:
    """One message to post; a refusal speaks `language`; `limited` sends count against the rate limit."""

    author: User
    room: Room
    client_id: uuid.UUID
    body: str
    reply_to: int | None = None
    session_id: int | None = None
    language: str | None = None  # None: refusals speak the language active where the batch runs
    limited: bool = False  # sends from a socket are rate-limited; seeding and tests are not
    attachments: tuple[uuid.UUID, ...] = ()  # keys of the author's uploads to this room, in order


@dataclass(frozen=True)
class Sent:
    """The stored message and whether this send created it (False: an idempotent repeat)."""

    message: Message
    created: bool


def speaking(language: str | None) -> contextlib.AbstractContextManager[None]:
    """Translations in `language` inside the block (the active language when None)."""
    # A batch holds sends of people who read different languages: each refusal speaks its sender's.
    return translation.override(language) if language else contextlib.nullcontext()


def text_or_refuse(value: str, *, multiline: bool = False) -> str:
    """`value` by coaching.lib.text (a line, or a text when `multiline`); `invalid_frame` if refused."""
    try:
        return clean_text(value) if multiline else clean_line(value)
    except ValidationError as error:
        raise ChatError("invalid_frame", error.messages[0]) from None


def clean_body(body: str) -> str:
    """The body without surrounding blanks, line breaks as \\n; ChatError when empty, too long or not text."""
    body = text_or_refuse(body, multiline=True).strip()
    if not body:
        raise ChatError("invalid_frame", _("A message cannot be empty."))
    if len(body) > MAX_BODY:
        raise ChatError("too_long", _("A message can be at most %(max)d characters.") % {"max": MAX_BODY})
    return body


# ---------------------------------------------------------------- check


# A batch's rate-limit counts and its rooms' cached mutes in one command: one Redis round trip, and one
# command for redis-py to build and parse instead of two per send. KEYS: one rate key per send (a key twice
# counts twice), then the rooms' mute keys. ARGV: the rate keys' lifetime in seconds, and how many there
# are. Replies: each send's count so far, then each room's cached mutes (nil where none is cached).
_COUNT_AND_READ = """
local sends = tonumber(ARGV[2])
local replies = {}
for i = 1, sends do
    replies[i] = redis.call('INCR', KEYS[i])
    if replies[i] == 1 then redis.call('EXPIRE', KEYS[i], ARGV[1]) end
end
for i = sends + 1, #KEYS do
    replies[i] = redis.call('GET', KEYS[i])
end
return replies
"""


@functools.cache
def _count_and_read(client: redis.Redis) -> Script:
    """The script on this client, loaded into Redis on first use and again if Redis lost it (NOSCRIPT)."""
    return client.register_script(_COUNT_AND_READ)


class Lookups:
    """What checking a batch of sends reads: each read once for the whole batch, and only if needed."""

    def __init__(self, sends: Sequence[Send]) -> None:
        self.sends = sends
        self.people_by_room: dict[int, dict[str, User]] = {}

    @functools.cached_property
    def _limits_and_mutes(self) -> tuple[dict[int, int | None], mutes.Mutes]:
        # The rate-limit counts and the rooms' mutes, read in one Redis round trip.
        limited = [i for i, send in enumerate(self.sends) if send.limited]
        counts = ratelimit.tally([(self.sends[i].author.pk, self.sends[i].room.pk) for i in limited])
        room_ids = {send.room.pk for send in self.sends}
        client = lib_redis.sync_client()
        if client is None:  # no Redis configured: the cache counts, the in-process cache keeps mutes
            waits, muted = ratelimit.waits_in_cache(counts), mutes.in_process(room_ids)
        else:
            try:
                replies = _count_and_read(client)(
                    keys=[*counts.keys, *mutes.keys(room_ids)], args=[counts.window + 1, len(counts.keys)]
                )
            except lib_redis.UNAVAILABLE as error:
                lib_redis.warn_unavailable("rate limits counted here, mutes read from the database", error)
                waits, muted = ratelimit.waits_counted_here(counts), mutes.from_replies(room_ids, None)
            else:
                waits = ratelimit.waits_from(counts, replies[: len(counts.keys)])
                muted = mutes.from_replies(room_ids, replies[len(counts.keys) :])
        return dict(zip(limited, waits, strict=True)), muted

    @property
    def waits(self) -> dict[int, int | None]:
        """Seconds to wait per rate-limited send (by index; None within the limit)."""
        return self._limits_and_mutes[0]

    @property
    def mutes(self) -> mutes.Mutes:
        """Each room's active mutes (user id -> until)."""
        return self._limits_and_mutes[1]

    @functools.cached_property
    def reply_rooms(self) -> dict[int, int]:
        """The room of each message replied to."""
        ids = {send.reply_to for send in self.sends if send.reply_to is not None}
        return dict(Message.objects.filter(pk__in=ids).values_list("pk", "room_id"))

    @functools.cached_property
    def uploads(self) -> dict[uuid.UUID, tuple[int, int, uuid.UUID | None]]:
        """Per named upload: its uploader, its room, and the client_id of the message it is bound to."""
        keys = {key for send in self.sends for key in send.attachments}
        rows = Attachment.objects.filter(key__in=keys).values_list(
            "key", "uploader_id", "room_id", "message__client_id"
        )
        return {key: (uploader, room, bound_to) for key, uploader, room, bound_to in rows}

    def people(self, room: Room) -> dict[str, User]:
        """The room's people by username (to resolve @mentions)."""
        if room.pk not in self.people_by_room:
            self.people_by_room[room.pk] = {person.username: person for person in room_people(room)}
        return self.people_by_room[room.pk]


def _check_not_muted(*, user: User, mutes: dict[int, dt.datetime]) -> None:
    muted_until = mutes.get(user.pk)
    if muted_until is not None and muted_until > timezone.now():
        until = timezone.localtime(muted_until, user.zone)
        today = timezone.localtime(timezone.now(), user.zone).date()
        shown = until.strftime("%H:%M") if until.date() == today else until.strftime("%Y-%m-%d %H:%M")
        raise ChatError(
            "forbidden", _("The coach has paused your messages here until %(time)s.") % {"time": shown}
        )


def _check_attachments(*, send: Send, uploads: dict[uuid.UUID, tuple[int, int, uuid.UUID | None]]) -> None:
    """Each file is the author's own upload to this room, unsent (or sent by this very send: a retry)."""
    if len(send.attachments) > settings.CHAT_FILES_PER_MESSAGE:
        raise ChatError(
            "invalid_frame",
            _("A message can carry at most %(max)d files.") % {"max": settings.CHAT_FILES_PER_MESSAGE},
        )
    for key in send.attachments:
        uploader, room, bound_to = uploads.get(key, (None, None, None))
        if uploader != send.author.pk or room != send.room.pk or bound_to not in (None, send.client_id):
            raise ChatError(
                "not_found", _("One of the files is not an upload of yours to this conversation.")
            )


@dataclass(frozen=True)
class Draft:
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
            language=send.author.ui_language,  # picks the stemmer that indexes it for search
        )


def check_send_message(*, index: int, lookups: Lookups) -> Draft:
    """Send `index` of the batch, checked and rendered; ChatError (rate_limited, too_long, …) if refused."""
    send = lookups.sends[index]
    wait = lookups.waits.get(index) if send.limited else None
    if wait is not None:
        raise ChatError(
            "rate_limited",
            _("You are sending messages too fast; try again in %(s)d s.") % {"s": wait},
            retry_after=wait,
        )
    # A message with files may have no text: the files are what it says.
    body = clean_body(send.body) if send.body.strip() or not send.attachments else ""
    if send.attachments:
        _check_attachments(send=send, uploads=lookups.uploads)
    _check_not_muted(user=send.author, mutes=lookups.mutes.get(send.room.pk, {}))
    if send.reply_to is not None and lookups.reply_rooms.get(send.reply_to) != send.room.pk:
        raise ChatError("not_found", _("The message you reply to is not in this room."))
    # The people of the room are only needed to resolve @mentions.
    people = lookups.people(send.room) if "@" in body else {}
    rendered = render(body, people=people)
    mentioned = tuple(people[name] for name in rendered.mentions)
    return Draft(send, body, rendered.html, mentioned, timezone.now())


# ---------------------------------------------------------------- do

_INSERT_WITH_NEXT_SEQ = """
    WITH next AS (UPDATE chat_room SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq)
    INSERT INTO chat_message
        (room_id, seq, author_id, client_id, body, html, reply_to_id, created_at, session_id, language)
    SELECT %s, next.last_seq, %s, %s, %s, %s, %s, %s, %s, %s FROM next
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
                    message.language,
                ],
            )
            row = cursor.fetchone()
            if row is None:  # the room was deleted under an open socket
                raise Room.DoesNotExist
            message.pk, message.seq = row
            message._state.adding = False
            return
        cursor.execute(
            "UPDATE chat_room SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq", [message.room_id]
        )
        row = cursor.fetchone()
        if row is None:
            raise Room.DoesNotExist
        message.seq = int(row[0])
    message.save(force_insert=True)


class _FilesTaken(DatabaseError):
    """A named upload was bound by another send meanwhile: the transaction rolls back."""


def _bind(draft: Draft, message: Message) -> None:
    """Bind the send's uploads to the stored message (in its transaction); load them for its payload."""
    keys = draft.send.attachments
    if not keys:
        return
    bound = Attachment.objects.filter(
        key__in=keys, uploader_id=message.author_id, room_id=message.room_id, message__isnull=True
    ).update(message=message)
    if bound != len(set(keys)):
        raise _FilesTaken
    prefetch_related_objects([message], FILES)


def _new_message_events(messages: list[Message]) -> list[Event]:
    return [
        (room_group(m.room_id), frame_event({"type": "message.new", "message": message_payload(m)}))
        for m in messages
    ]


def _enqueue_notices(message_ids: list[int]) -> None:
    for message_id in message_ids:
        tasks.notify_about_message(message_id)  # one enqueue each; the worker does the telling


def _notify_on_commit(drafts: Sequence[Draft], messages: Sequence[Message]) -> None:
    """After commit, one task per new message that can tell someone (see chat.notifying.may_notify)."""
    # Plain circle messages, the bulk of the traffic, cost only these attribute reads: no query, no enqueue.
    ids = [
        message.pk
        for draft, message in zip(drafts, messages, strict=True)
        if may_notify(room=draft.send.room, mentioned=bool(draft.mentioned), reply_to=draft.send.reply_to)
    ]
    if ids:
        transaction.on_commit(functools.partial(_enqueue_notices, ids))


def _repeat(author: User, room: Room, client_id: uuid.UUID, body: str) -> Sent | None:
    existing = (
        Message.objects.select_related("author")
        .prefetch_related(FILES)
        .filter(author=author, client_id=client_id)
        .first()
    )
    if existing is None:
        return None
    if existing.room_id != room.pk or existing.body != body:
        raise ChatError("conflict", _("This message id was already used for a different message."))
    return Sent(existing, created=False)


def _write(draft: Draft) -> Sent:
    """Store one message in its own transaction; a taken (author, client_id) answers with the original."""
    message = draft.message()
    # The common case on PostgreSQL is one autocommitted statement; mentions (and SQLite, and callers already
    # inside a transaction, who need a savepoint) take a transaction.
    single_statement = (
        connection.vendor == "postgresql"
        and not draft.mentioned
        and not draft.send.attachments
        and not connection.in_atomic_block
    )
    try:
        with contextlib.nullcontext() if single_statement else transaction.atomic():
            _insert(message)
            Mention.objects.bulk_create([Mention(message=message, user=user) for user in draft.mentioned])
            _bind(draft, message)
            send_event_on_commit(_new_message_events([message]))
            _notify_on_commit([draft], [message])
    except IntegrityError:
        # (author, client_id) is taken: a resend, or two identical sends racing. Answer with the original.
        repeat = _repeat(draft.send.author, draft.send.room, draft.send.client_id, draft.body)
        if repeat is None:
            raise
        return repeat
    except _FilesTaken:
        raise ChatError("conflict", _("One of the files was just sent with another message.")) from None
    draft.send.room.last_seq = message.seq
    return Sent(message, created=True)


_LOCK_ROOMS = "SELECT id FROM chat_room WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
# The batch's rows go as one JSON parameter: psycopg quotes one string, where nine arrays would each be
# dumped element by element in Python (a third of the database thread's CPU per batch, measured).
_INSERT_BATCH = """
    WITH batch AS (
        SELECT * FROM json_to_recordset(%s::json) AS b(
            ord int, room_id bigint, author_id bigint, client_id uuid, body text, html text,
            reply_to_id bigint, created_at timestamptz, session_id bigint, language text
        )
    ), counts AS (
        SELECT room_id, count(*) AS n FROM batch GROUP BY room_id
    ), next AS (
        UPDATE chat_room AS r SET last_seq = r.last_seq + counts.n FROM counts WHERE r.id = counts.room_id
        RETURNING r.id, r.last_seq - counts.n AS base
    )
    INSERT INTO chat_message
        (room_id, seq, author_id, client_id, body, html, reply_to_id, created_at, session_id, language)
    SELECT b.room_id, next.base + row_number() OVER (PARTITION BY b.room_id ORDER BY b.ord), b.author_id,
        b.client_id, b.body, b.html, b.reply_to_id, b.created_at, b.session_id, b.language
    FROM batch AS b LEFT JOIN next ON next.id = b.room_id
    RETURNING id, seq, author_id, client_id
"""


def _batch_json(messages: list[Message]) -> str:
    """The batch's rows for `_INSERT_BATCH`, in order."""
    return json.dumps(
        [
            {
                "ord": n,
                "room_id": m.room_id,
                "author_id": m.author_id,
                "client_id": str(m.client_id),
                "body": m.body,
                "html": m.html,
                "reply_to_id": m.reply_to_id,
                "created_at": m.created_at.isoformat(),
                "session_id": m.session_id,
                "language": m.language,
            }
            for n, m in enumerate(messages)
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _insert_batch(messages: list[Message]) -> None:
    """PostgreSQL: store messages (sorted by room) with each room's next seqs, in one round trip.

    The room rows are locked in id order first, so two processes writing batches never deadlock; within a
    room the seqs follow the list's order. A message whose room is gone gets no seq, which the NOT NULL
    column refuses: the whole statement fails and stores nothing (with or without a transaction block).
    """
    rows = _batch_json(messages)  # the rows once; the lock needs only the few room ids
    with connection.cursor() as cursor:
        # Both statements in one round trip (Django's psycopg cursors bind parameters on the client side).
        cursor.execute(_LOCK_ROOMS + ";" + _INSERT_BATCH, [sorted({m.room_id for m in messages}), rows])
        cursor.nextset()  # past the locked room ids, to the inserted rows
        stored = {(author_id, client_id): (pk, seq) for pk, seq, author_id, client_id in cursor.fetchall()}
    if len(stored) < len(messages):  # a room was deleted under an open socket: roll back, go one by one
        raise DatabaseError("a room of the batch is gone")
    for message in messages:
        message.pk, message.seq = stored[(message.author_id, message.client_id)]
        message._state.adding = False


def _write_all(drafts: list[Draft]) -> list[Sent]:
    """Store every draft in one transaction (one commit); any database error rolls them all back."""
    # Rooms in id order: two processes writing batches for the same rooms take the room locks in one order,
    # so they never deadlock. Within a room the sends keep their order, and so do the seqs and broadcasts.
    order = sorted(range(len(drafts)), key=lambda i: drafts[i].send.room.pk)
    messages = {i: drafts[i].message() for i in order}
    # The common batch (PostgreSQL, no mentions, no files) is one round trip: its two statements go in one
    # query string, which PostgreSQL runs as one implicit transaction, committed at its end and rolled back
    # whole on an error. A transaction block would add a BEGIN and a COMMIT round trip to every batch.
    one_statement = (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not any(draft.mentioned or draft.send.attachments for draft in drafts)
    )
    with contextlib.nullcontext() if one_statement else transaction.atomic():
        if connection.vendor == "postgresql":
            _insert_batch([messages[i] for i in order])
        else:
            for i in order:
                _insert(messages[i])
        Mention.objects.bulk_create(
            [Mention(message=messages[i], user=user) for i in order for user in drafts[i].mentioned]
        )
        for i in order:
            _bind(drafts[i], messages[i])
        send_event_on_commit(_new_message_events([messages[i] for i in order]))
        _notify_on_commit([drafts[i] for i in order], [messages[i] for i in order])
    for i in order:
        drafts[i].send.room.last_seq = messages[i].seq
    return [Sent(messages[i], created=True) for i in range(len(drafts))]


def do_send_messages(*, drafts: Sequence[Draft]) -> list[Sent | Exception]:
    """Store checked drafts: per draft the new message, the original of a repeat, or the error."""
    # Fast in the common case, correct always: a taken client_id (a repeat, within the batch or of an earlier
    # send) or any other database error rolls the whole batch back, and its drafts are then stored one by one,
    # each answered exactly as if it had been sent alone.
    if len(drafts) > 1:
        try:
            return list(_write_all(list(drafts)))
        except DatabaseError:
            pass  # rolled back: nothing was stored or broadcast
    results: list[Sent | Exception] = []
    for draft in drafts:
        with speaking(draft.send.language):
            try:
                results.append(_write(draft))
            except (ChatError, DatabaseError, Room.DoesNotExist) as error:
                results.append(error)
    return results


# ---------------------------------------------------------------- the entry


def send_messages(*, sends: Sequence[Send]) -> list[Sent | Exception]:
    """Post messages: per send the stored message (new or the idempotent repeat) or its refusal.

    The new ones are stored in one commit, and each room hears their `message.new` after it.
    """
    lookups = Lookups(sends)
    results: dict[int, Sent | Exception] = {}
    drafts: dict[int, Draft] = {}
    for i, send in enumerate(sends):
        with speaking(send.language):
            try:
                drafts[i] = check_send_message(index=i, lookups=lookups)
            except ChatError as error:
                results[i] = error
    results.update(zip(drafts, do_send_messages(drafts=list(drafts.values())), strict=True))
    for i, send in enumerate(sends):
        result = results[i]
        if isinstance(result, ChatError):
            result.client_id = str(send.client_id)  # the error answers this send
    return [results[i] for i in range(len(sends))]
