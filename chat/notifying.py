"""Who a chat message tells, and how: mentions, private messages and replies become notifications.

The send path decides cheaply which messages may tell anyone (`may_notify`: a mention, a reply, or a 1:1
thread) and enqueues `chat.tasks.notify_about_message` for those after commit; the worker then runs
`notify_about_message` here. Only people who may read the room are told, so chat text never reaches an
admin or anyone outside the conversation.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from chat.access import room_people
from chat.models import Mention, Message, ReadMarker, Room
from circles.models import Membership
from coaching.accounts.models import User
from coaching.notifications.kinds import Kind
from coaching.notifications.models import Notification
from coaching.notifications.services import mark_conversation_read, notify


def may_notify(*, room: Room, mentioned: bool, reply_to: int | None) -> bool:
    """Whether a new message can tell anyone (no query): it mentions someone, replies, or is in a thread."""
    return mentioned or reply_to is not None or room.kind == Room.Kind.THREAD


def conversation_of(room_id: int) -> str:
    """The notifications' name for a room (what reading it marks read)."""
    return f"room:{room_id}"


def message_url(message: Message) -> str:
    """The page showing the message, scrolled to it: `/circles/<id>/#message-<id>` or the thread's page."""
    room = message.room
    if room.circle_id is not None:
        page = reverse("circle", args=[room.circle_id])
    else:
        page = reverse("chat_thread", args=[room.thread.pk])
    return f"{page}#message-{message.pk}"


def readers(room: Room) -> dict[int, User]:
    """Everyone who may read the room now, by id: in a circle its coach and admitted members."""
    people = room_people(room)
    if room.circle_id is not None:
        # A member who has not accepted the charter cannot open the room (circles.access), so is not told.
        admitted = set(
            Membership.objects.admitted().filter(circle_id=room.circle_id).values_list("user_id", flat=True)
        )
        people = [person for person in people if person.pk in admitted]
    return {person.pk: person for person in people}


def notify_about_message(*, message_id: int) -> list[Notification]:
    """Tell the message's rightful recipients about it (mention, private message, reply); those told.

    Each person hears of one message once: in a thread the other person gets `direct_message`; in a
    circle the mentioned get `mention`, and the replied-to author `reply` unless mentioned too. A message
    that is gone, deleted or hidden by now tells nobody.
    """
    message = (
        Message.objects.select_related("author", "room__circle", "room__thread", "reply_to")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.deleted_at is not None or message.hidden_at is not None:
        return []
    room = message.room
    people = readers(room)
    what: dict[str, Any] = {
        "actor": message.author,
        "url": message_url(message),
        "snippet": message.body,
        "conversation": conversation_of(room.pk),
        "position": message.seq,
    }
    if room.circle is not None:
        what["params"] = {"circle": room.circle.name}
    recipients: dict[int, Kind] = {}
    if room.kind == Room.Kind.THREAD:
        thread = room.thread
        other = thread.member_id if message.author_id == thread.coach_id else thread.coach_id
        recipients[other] = Kind.DIRECT_MESSAGE
    else:
        for user_id in Mention.objects.filter(message=message).values_list("user_id", flat=True):
            recipients[user_id] = Kind.MENTION
        if message.reply_to is not None:
            recipients.setdefault(message.reply_to.author_id, Kind.REPLY)
    told = []
    for user_id, kind in recipients.items():
        person = people.get(user_id)
        if person is None or user_id == message.author_id:
            continue  # left the room since, or wrote it
        notification = notify(
            recipient=person, kind=kind, dedupe_key=f"message:{message.pk}:{kind.value}", **what
        )
        if notification is not None:
            told.append(notification)
    _read_already(told, room=room)
    return told


def _read_already(told: list[Notification], *, room: Room) -> None:
    """Whoever read the room past the message before the worker got to it is not told again later."""
    # Each notification is committed before this reads the markers, and reading the room marks what is
    # committed then: whichever comes second sees the other, so a read racing the worker is never lost.
    if not told:
        return
    seen = dict(
        ReadMarker.objects.filter(room=room, user_id__in=[n.recipient_id for n in told]).values_list(
            "user_id", "seq"
        )
    )
    for notification in told:
        up_to = seen.get(notification.recipient_id, 0)
        if notification.position is not None and up_to >= notification.position:
            mark_conversation_read(
                user=notification.recipient, conversation=notification.conversation, up_to=up_to
            )
