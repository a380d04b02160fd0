"""Chat write paths besides posting (chat.sending): edit, delete, react, read, hide, mute, report.

Each goes `check_*` (the rule; ChatError when refused) → `do_*` (the write) → `send_event_on_commit`.
Access to the room was checked by the caller (chat.access).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.access import is_room_coach, room_people
from chat.attachments import delete_files_of
from chat.groups import room_group
from chat.models import Attachment, Mention, Message, MessageEdit, Mute, Reaction, ReadMarker, Report, Room
from chat.mutes import forget_mutes
from chat.notifying import conversation_of
from chat.selectors import message_payload
from chat.sending import clean_body, text_or_refuse
from coaching.accounts.models import User
from coaching.lib.errors import ChatError
from coaching.lib.markdown import render
from coaching.lib.realtime import frame_event, send_event_on_commit
from coaching.notifications.services import mark_conversation_read

MAX_EMOJI = 32


def _send_updated_on_commit(message: Message) -> None:
    """After commit the room hears the message as it is now."""
    send_event_on_commit(
        [
            (
                room_group(message.room_id),
                frame_event({"type": "message.updated", "message": message_payload(message)}),
            )
        ]
    )


def check_message_in(*, room: Room, message_id: int) -> Message:
    """The room's message with that id (author loaded); `not_found` otherwise."""
    message = Message.objects.select_related("author").filter(pk=message_id, room=room).first()
    if message is None:
        raise ChatError("not_found", _("There is no such message in this room."))
    return message


# ---------------------------------------------------------------- edit


def check_edit_message(*, user: User, message: Message) -> None:
    """Only the author edits, within the edit window, a message still shown."""
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


def do_edit_message(*, room: Room, message: Message, body: str) -> None:
    """Keep the old text in the history and store the new one, rendered."""
    MessageEdit.objects.create(message=message, body=message.body, html=message.html)
    people = {person.username: person for person in room_people(room)}
    message.body, message.html, message.edited_at = body, render(body, people=people).html, timezone.now()
    message.save(update_fields=["body", "html", "edited_at"])


def edit_message(*, user: User, room: Room, message_id: int, body: str) -> Message:
    """The author rewrites their message within the edit window; the old text goes to the history."""
    body = clean_body(body)
    with transaction.atomic():
        message = check_message_in(room=room, message_id=message_id)
        check_edit_message(user=user, message=message)
        if body == message.body:
            return message
        do_edit_message(room=room, message=message, body=body)
        _send_updated_on_commit(message)
    return message


# ---------------------------------------------------------------- delete


def check_delete_message(*, user: User, room: Room, message: Message) -> None:
    """The author or the room's coach."""
    if message.author_id != user.pk and not is_room_coach(user=user, room=room):
        raise ChatError("forbidden", _("Only the author or the coach can delete a message."))


def do_delete_message(*, message: Message) -> None:
    """Blank the text, drop its history and files; the row keeps its place in the sequence as a tombstone."""
    message.body, message.html, message.deleted_at = "", "", timezone.now()
    message.save(update_fields=["body", "html", "deleted_at"])
    message.edits.all().delete()
    delete_files_of(message_ids=[message.pk])


def delete_message(*, user: User, room: Room, message_id: int) -> Message:
    """The author, or the room's coach, deletes a message; a tombstone keeps its place in the sequence."""
    with transaction.atomic():
        message = check_message_in(room=room, message_id=message_id)
        check_delete_message(user=user, room=room, message=message)
        if message.deleted_at is None:
            do_delete_message(message=message)
            _send_updated_on_commit(message)
    return message


def erase_messages_of(*, author: User) -> int:
    """An erased account's part of chat: every message it wrote becomes a tombstone without text.

    The rows keep their place in each room's sequence (the author is then shown as "a former member");
    earlier texts, files, reactions, mentions, read markers, mutes and the reports it made go, and the
    copies of its texts kept in reports by others are blanked. Runs inside the caller's transaction.
    """
    now = timezone.now()
    mine = Message.objects.filter(author=author)
    MessageEdit.objects.filter(message__author=author).delete()
    changed = list(mine.exclude(body="", html="", deleted_at__isnull=False).values_list("pk", flat=True))
    mine.filter(deleted_at__isnull=True).update(deleted_at=now)
    mine.update(body="", html="")
    delete_files_of(message_ids=list(mine.values_list("pk", flat=True)))
    Attachment.objects.filter(uploader=author).delete()  # and the uploads never sent
    Report.objects.filter(message__author=author).update(text="")
    Report.objects.filter(reporter=author).delete()
    Reaction.objects.filter(user=author).delete()
    Mention.objects.filter(user=author).delete()
    ReadMarker.objects.filter(user=author).delete()
    Mute.objects.filter(user=author).delete()
    for message in Message.objects.select_related("author").filter(pk__in=changed):
        _send_updated_on_commit(message)
    return len(changed)


# ---------------------------------------------------------------- react


def check_emoji(emoji: str) -> str:
    """The emoji without surrounding blanks; `invalid_frame` for anything that is not one."""
    emoji = text_or_refuse(emoji).strip()
    if (
        not emoji
        or len(emoji) > MAX_EMOJI
        or any(c.isascii() and (c.isalnum() or c in "<>&\"'") for c in emoji)
    ):
        raise ChatError("invalid_frame", _("That is not an emoji."))
    return emoji


def do_react(*, user: User, message: Message, emoji: str, add: bool) -> bool:
    """Add or remove the reaction row; True when something changed."""
    if add:
        return Reaction.objects.get_or_create(message=message, user=user, emoji=emoji)[1]
    return Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()[0] > 0


def react(*, user: User, room: Room, message_id: int, emoji: str, add: bool) -> bool:
    """Add or remove the person's emoji on a message; True when something changed."""
    emoji = check_emoji(emoji)
    with transaction.atomic():
        message = check_message_in(room=room, message_id=message_id)
        if message.deleted_at:
            raise ChatError("forbidden", _("This message was deleted."))
        changed = do_react(user=user, message=message, emoji=emoji, add=add)
        if changed:
            frame = {
                "type": "reaction",
                "message_id": message.pk,
                "emoji": emoji,
                "user": user.pk,
                "op": "add" if add else "remove",
            }
            send_event_on_commit([(room_group(room.pk), frame_event(frame))])
    return changed


# ---------------------------------------------------------------- read


def mark_read(*, user: User, room: Room, seq: int) -> int:
    """Move the person's read marker forward to `seq` (never backwards, never past the last message).

    The person's notifications about the messages read so far (mentions, replies, …) are read with them.
    """
    # Nobody else in the room hears of it: no broadcast (the person's own bell does, if it changes).
    seq = min(seq, Room.objects.values_list("last_seq", flat=True).get(pk=room.pk))
    marker = ReadMarker.objects.get_or_create(room=room, user=user)[0]
    if seq > marker.seq:
        ReadMarker.objects.filter(pk=marker.pk, seq__lt=seq).update(seq=seq)
        mark_conversation_read(user=user, conversation=conversation_of(room.pk), up_to=seq)
        return seq
    return marker.seq


# ---------------------------------------------------------------- moderation


def check_room_coach(*, user: User, room: Room, refusal: str) -> None:
    """`forbidden` with `refusal` for anyone but the room's coach."""
    if not is_room_coach(user=user, room=room):
        raise ChatError("forbidden", refusal)


def hide_message(*, user: User, room: Room, message_id: int) -> Message:
    """The coach hides a message from the room (moderation); it stays in the sequence, without its text."""
    check_room_coach(user=user, room=room, refusal=_("Only the coach can hide messages."))
    with transaction.atomic():
        message = check_message_in(room=room, message_id=message_id)
        if message.hidden_at is None:
            message.hidden_at = timezone.now()
            message.save(update_fields=["hidden_at"])
            _send_updated_on_commit(message)
    return message


def check_mute(*, user: User, room: Room, member: User, minutes: int) -> None:
    """The coach mutes one of the room's other people, for 1 minute to 7 days."""
    check_room_coach(user=user, room=room, refusal=_("Only the coach can mute someone."))
    if member.pk == user.pk or member not in room_people(room):
        raise ChatError("not_found", _("That person is not a member of this room."))
    if not 1 <= minutes <= 60 * 24 * 7:
        raise ChatError("invalid_frame", _("A mute lasts from 1 minute to 7 days."))


def mute_member(*, user: User, room: Room, member: User, minutes: int) -> Mute:
    """The coach pauses a member's posting in the room for a set time."""
    check_mute(user=user, room=room, member=member, minutes=minutes)
    mute = Mute.objects.create(
        room=room, user=member, muted_by=user, until=timezone.now() + dt.timedelta(minutes=minutes)
    )
    # No broadcast: the member learns it from their next send's refusal.
    transaction.on_commit(partial(forget_mutes, room.pk))
    return mute


def check_report(*, message: Message) -> None:
    """Only a message still shown can be reported."""
    if message.deleted_at or message.hidden_at:
        # A hidden message's text must not travel on, not even to the admins.
        raise ChatError("not_found", _("This message is no longer shown."))


def report_message(*, user: User, room: Room, message_id: int, reason: str = "") -> Report:
    """A member reports a message to the programme admins; only that message's text goes with it."""
    message = check_message_in(room=room, message_id=message_id)
    check_report(message=message)
    defaults: dict[str, Any] = {"reason": reason.strip()[:500], "text": message.body}
    try:
        with transaction.atomic():
            return Report.objects.get_or_create(message=message, reporter=user, defaults=defaults)[0]
    except IntegrityError:  # the same person reported twice at the same moment
        return Report.objects.get(message=message, reporter=user)
