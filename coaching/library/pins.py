"""Pinning a message of a circle's chat: anyone in the room pins, the pinner or the coach unpins.

Each write goes `check_*` → the write → `send_event_on_commit`, so open chats hear a `pin` frame only
after the commit. Access to the room was checked by the caller (chat.access.access_room).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from chat.access import is_room_coach
from chat.groups import room_group
from chat.models import Message, Room
from chat.services import check_message_in
from coaching.accounts.models import User
from coaching.lib.errors import ChatError
from coaching.lib.realtime import frame_event, send_event_on_commit
from coaching.library.models import Pin


def _send_pin_on_commit(*, room: Room, message_id: int, pinned_by: int, actor: int, op: str) -> None:
    """After commit the room hears that a message was pinned or unpinned (docs/protocol.md, `pin`)."""
    frame = {"type": "pin", "op": op, "message_id": message_id, "pinned_by": pinned_by, "user": actor}
    send_event_on_commit([(room_group(room.pk), frame_event(frame))])


def check_pin(*, message: Message) -> None:
    """Only a message still shown can be pinned."""
    if message.deleted_at or message.hidden_at:
        raise ChatError("forbidden", _("This message is no longer shown, so it cannot be pinned."))


def pin_message(*, user: User, room: Room, message_id: int) -> Pin:
    """Pin a message of the room to its library; pinning a pinned message changes nothing."""
    with transaction.atomic():
        message = check_message_in(room=room, message_id=message_id)
        check_pin(message=message)
        pin, created = Pin.objects.get_or_create(message=message, defaults={"room": room, "pinned_by": user})
        if created:
            _send_pin_on_commit(room=room, message_id=message.pk, pinned_by=user.pk, actor=user.pk, op="add")
    return pin


def check_unpin(*, user: User, room: Room, pin: Pin) -> None:
    """The person who pinned it, or the room's coach (who may unpin any)."""
    if pin.pinned_by_id != user.pk and not is_room_coach(user=user, room=room):
        raise ChatError("forbidden", _("Only the person who pinned a message, or the coach, can unpin it."))


def unpin_message(*, user: User, room: Room, message_id: int) -> bool:
    """Unpin a message of the room; True when it was pinned. `not_found` for a message of another room."""
    with transaction.atomic():
        pin = Pin.objects.select_for_update().filter(room=room, message_id=message_id).first()
        if pin is None:
            check_message_in(room=room, message_id=message_id)
            return False
        check_unpin(user=user, room=room, pin=pin)
        pin.delete()
        _send_pin_on_commit(
            room=room, message_id=message_id, pinned_by=pin.pinned_by_id, actor=user.pk, op="remove"
        )
    return True
